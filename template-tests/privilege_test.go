package templatetests

import (
	"strings"
	"testing"
)

// TestS3EndpointPolicy: the S3 gateway endpoint reaches this stack's
// buckets and ECR's layer bucket only, so an engine SSRF cannot read or
// write any other bucket in the region.
func TestS3EndpointPolicy(t *testing.T) {
	for _, env := range environments() {
		for _, part := range []string{"Primary", "Standby"} {
			tpl := stack(t, "UmlImages-"+env+"-"+part)
			for id, ep := range tpl.ofType("AWS::EC2::VPCEndpoint") {
				if !strings.Contains(js(ep.Properties["ServiceName"]), ".s3") {
					continue
				}
				doc, _ := ep.Properties["PolicyDocument"].(map[string]any)
				if doc == nil {
					t.Errorf("%s %s: the S3 endpoint has no policy (every bucket in the region is reachable)", tpl.Name, id)
					continue
				}
				for _, st := range doc["Statement"].([]any) {
					st := st.(map[string]any)
					res := js(st["Resource"])
					if st["Effect"] == "Allow" && (strings.Contains(res, `"*"`) || strings.Contains(res, `:::*`)) {
						t.Errorf("%s %s: the S3 endpoint allows every bucket: %s", tpl.Name, id, js(st))
					}
				}
				has(t, tpl.Name+" S3 endpoint", doc, `starport-layer-bucket/*`, `"Fn::GetAtt":["DataCache`)
			}
		}
	}
}

// TestEgress: nothing in the VPC (the render function, Kroki's tasks, the
// load balancer, the endpoints) may send to an address outside it.
func TestEgress(t *testing.T) {
	for _, env := range environments() {
		for _, part := range []string{"Primary", "Standby"} {
			tpl := stack(t, "UmlImages-"+env+"-"+part)
			egress := 0
			for id, sg := range tpl.ofType("AWS::EC2::SecurityGroup") {
				for _, e := range asList(sg.Properties["SecurityGroupEgress"]) {
					e := e.(map[string]any)
					if e["CidrIp"] == "0.0.0.0/0" || e["CidrIpv6"] == "::/0" {
						t.Errorf("%s %s: egress to anywhere: %s", tpl.Name, id, js(e))
					}
				}
			}
			for _, e := range tpl.ofType("AWS::EC2::SecurityGroupEgress") {
				if e.Properties["CidrIp"] == "0.0.0.0/0" {
					t.Errorf("%s: egress to anywhere: %s", tpl.Name, js(e.Properties))
				}
				if e.Properties["DestinationPrefixListId"] != nil && e.Properties["FromPort"] == 443.0 {
					egress++
				}
			}
			if egress != 2 {
				t.Errorf("%s: %d egress rules to S3's prefix list on 443, want the render function's and Kroki's tasks'", tpl.Name, egress)
			}
		}
	}
}

// TestFailoverMayChangeItsRecordsOnly: the failover role can UPSERT the
// origin name's CNAMEs and nothing else in the zone.
func TestFailoverMayChangeItsRecordsOnly(t *testing.T) {
	for _, env := range []string{"staging", "prod"} {
		tpl := stack(t, "UmlImages-"+env+"-Standby")
		found := false
		for _, p := range tpl.ofType("AWS::IAM::Policy") {
			for _, st := range p.Properties["PolicyDocument"].(map[string]any)["Statement"].([]any) {
				st := st.(map[string]any)
				if !strings.Contains(js(st["Action"]), "route53:ChangeResourceRecordSets") {
					continue
				}
				found = true
				cond := js(st["Condition"])
				for _, want := range []string{
					`"route53:ChangeResourceRecordSetsNormalizedRecordNames":["origin.` + envs[env].Domain + `"]`,
					`"route53:ChangeResourceRecordSetsRecordTypes":["CNAME"]`,
					`"route53:ChangeResourceRecordSetsActions":["UPSERT"]`,
				} {
					if !strings.Contains(cond, want) {
						t.Errorf("%s: the failover's record changes are not limited by %s: %s", tpl.Name, want, cond)
					}
				}
				if !strings.Contains(cond, `"ForAllValues:StringEquals"`) {
					t.Errorf("%s: conditions must hold for all values of the change batch: %s", tpl.Name, cond)
				}
			}
		}
		if !found {
			t.Errorf("%s: the failover may not change records", tpl.Name)
		}
	}
}

// TestRenderCannotDelete: the render role reads and writes the cache and
// deletes nothing.
func TestRenderCannotDelete(t *testing.T) {
	for _, env := range environments() {
		for _, part := range []string{"Primary", "Standby"} {
			tpl := stack(t, "UmlImages-"+env+"-"+part)
			for id, p := range tpl.ofType("AWS::IAM::Policy") {
				if !strings.Contains(id, "ApiRender") {
					continue
				}
				if s := js(p.Properties["PolicyDocument"]); strings.Contains(s, "s3:DeleteObject") || strings.Contains(s, `"s3:*"`) {
					t.Errorf("%s %s: the render role may delete: %.400s", tpl.Name, id, s)
				}
			}
		}
	}
}

// TestFailoverStateIsItsOwn: the failover reads and writes failover/ of
// the standby's data bucket, and the render function cannot write there.
func TestFailoverStateIsItsOwn(t *testing.T) {
	for _, env := range environments() {
		tpl := stack(t, "UmlImages-"+env+"-Standby")
		for id, p := range tpl.ofType("AWS::IAM::Policy") {
			doc := js(p.Properties["PolicyDocument"])
			switch {
			case strings.HasPrefix(id, "FailoverFunction"):
				if !strings.Contains(doc, `/failover/*"`) || strings.Contains(doc, `s3:DeleteObject`) {
					t.Errorf("%s %s: %s", tpl.Name, id, doc)
				}
			case strings.HasPrefix(id, "ApiRender"):
				for _, st := range p.Properties["PolicyDocument"].(map[string]any)["Statement"].([]any) {
					st := st.(map[string]any)
					if !strings.Contains(js(st["Action"]), "s3:PutObject") {
						continue
					}
					resources, ok := st["Resource"].([]any)
					if !ok {
						resources = []any{st["Resource"]}
					}
					for _, r := range resources {
						if s := js(r); !strings.HasSuffix(s, `/renders/*"]]}`) && !strings.HasSuffix(s, `/diagrams/*"]]}`) {
							t.Errorf("%s %s: the render function may write to %s", tpl.Name, id, s)
						}
					}
				}
			}
		}
	}
}
