package templatetests

import (
	"strings"
	"testing"
)

// TestControlLoopOutsideThePrimary: the probe runs in both regions; the
// failover function, its alarm and the rule between them are in the
// standby's stack, so losing the primary region loses none of them.
func TestControlLoopOutsideThePrimary(t *testing.T) {
	for _, env := range environments() {
		for _, part := range []string{"Primary", "Standby"} {
			tpl := stack(t, "UmlImages-"+env+"-"+part)
			probes := 0
			for _, r := range tpl.ofType("AWS::Events::Rule") {
				if r.Properties["ScheduleExpression"] == "rate(1 minute)" && strings.Contains(js(r.Properties["Targets"]), "HealthProbe") {
					probes++
				}
			}
			if probes != 1 {
				t.Errorf("%s: %d probe schedules, want one", tpl.Name, probes)
			}
			failovers := 0
			for _, f := range tpl.ours() {
				if f.Properties["Description"] == "UML Images failover" {
					failovers++
				}
			}
			if want := map[string]int{"Primary": 0, "Standby": 1}[part]; failovers != want {
				t.Errorf("%s: %d failover functions, want %d", tpl.Name, failovers, want)
			}
		}
		if env == "dev" {
			continue // no domain: the standby cannot know the primary's address; the failover advises by hand
		}
		tpl := stack(t, "UmlImages-"+env+"-Standby")
		var alarm string
		for id, a := range tpl.ofType("AWS::CloudWatch::Alarm") {
			if strings.Contains(js(a.Properties["Dimensions"]), `"Value":"primary"`) && a.Properties["MetricName"] == "ProbeAvailability" {
				alarm = id
			}
		}
		rule := false
		for _, r := range tpl.ofType("AWS::Events::Rule") {
			p := js(r.Properties["EventPattern"])
			if alarm != "" && strings.Contains(p, "CloudWatch Alarm State Change") && strings.Contains(p, `"`+alarm+`"`) && strings.Contains(js(r.Properties["Targets"]), "Failover") {
				rule = true
			}
		}
		if alarm == "" || !rule {
			t.Errorf("%s: the standby's alarm on the primary's probe verdict (%q) does not start the failover", tpl.Name, alarm)
		}
	}
}

// TestDeploysKeepTheSwitch: each deploy asks the failover function to
// write the records as its state says (the weighted records are in no
// template: TestRecords).
func TestDeploysKeepTheSwitch(t *testing.T) {
	for _, env := range []string{"staging", "prod"} {
		tpl := stack(t, "UmlImages-"+env+"-Standby")
		found := false
		for _, cr := range tpl.ofType("Custom::AWS") {
			for _, when := range []string{"Create", "Update"} {
				var call struct {
					Action     string `json:"action"`
					Parameters struct {
						FunctionName, Payload string
					} `json:"parameters"`
				}
				decode(t, []byte(plausible(cr.Properties[when], *tpl.Stack.Region())), &call)
				var payload struct {
					Action string `json:"action"`
				}
				if call.Action != "invoke" || !strings.Contains(strings.ToLower(call.Parameters.FunctionName), "failoverlive") {
					continue
				}
				decode(t, []byte(call.Parameters.Payload), &payload)
				if payload.Action == "reconcile" && when == "Update" {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("%s: no deploy-time reconciliation through the failover function", tpl.Name)
		}
	}
}

// TestSavedDiagramsReplicate: both data buckets replicate diagrams/ to
// the other region, with Replication Time Control.
func TestSavedDiagramsReplicate(t *testing.T) {
	for _, env := range environments() {
		tpl := stack(t, "UmlImages-"+env+"-Primary")
		forward := false
		for id, b := range tpl.ofType("AWS::S3::Bucket") {
			if !strings.HasPrefix(id, "DataCache") {
				continue
			}
			rc := js(b.Properties["ReplicationConfiguration"])
			forward = strings.Contains(rc, `"Prefix":"diagrams/"`) && strings.Contains(rc, `"ReplicationTime":{"Status":"Enabled"`)
		}
		reverse := false
		for _, cr := range tpl.ofType("Custom::AWS") {
			s := js(cr.Properties)
			if strings.Contains(s, `putBucketReplication`) && strings.Contains(s, `\"Prefix\":\"diagrams/\"`) && strings.Contains(s, `\"region\":\"`+envs[env].StandbyRegion+`\"`) &&
				strings.Contains(s, `ReplicationTime`) {
				reverse = true
			}
		}
		if !forward || !reverse {
			t.Errorf("%s: diagrams/ replicate primary to standby %v, standby to primary %v", tpl.Name, forward, reverse)
		}
	}
}

// TestEdgeFailsOverInTheDataPlane: the UI and /renders/ behaviours use
// origin groups failing over on server errors (renders on 403/404 too),
// one UI bucket per region; no origin group on a behaviour allowing POST.
func TestEdgeFailsOverInTheDataPlane(t *testing.T) {
	for _, env := range environments() {
		tpl, cfg := distribution(t, env)
		groups := map[string]string{}
		for _, g := range asList(asMap(cfg["OriginGroups"])["Items"]) {
			g := g.(map[string]any)
			groups[g["Id"].(string)] = js(g["FailoverCriteria"])
		}
		behaviours := append([]any{cfg["DefaultCacheBehavior"]}, asList(cfg["CacheBehaviors"])...)
		for _, b := range behaviours {
			b := b.(map[string]any)
			path, _ := b["PathPattern"].(string)
			criteria, grouped := groups[b["TargetOriginId"].(string)]
			post := strings.Contains(js(b["AllowedMethods"]), "POST")
			switch {
			case grouped && post:
				t.Errorf("%s %q: an origin group on a behaviour allowing POST", tpl.Name, path)
			case path == "/index.html" || path == "/assets/*" || path == "/config.json":
				if !grouped || !strings.Contains(criteria, "[500,502,503,504]") {
					t.Errorf("%s %s: not an origin group failing over on 5xx: %s", tpl.Name, path, criteria)
				}
			case path == "/renders/*":
				if !grouped || !strings.Contains(criteria, "[403,404,500,502,503,504]") {
					t.Errorf("%s %s: not an origin group failing over to the other region's renders: %s", tpl.Name, path, criteria)
				}
			}
		}
		for _, part := range []string{"Primary", "Standby"} {
			st := stack(t, "UmlImages-"+env+"-"+part)
			if len(st.ofType("Custom::CDKBucketDeployment")) < 2 {
				t.Errorf("%s: the editor is not deployed to a bucket of this region", st.Name)
			}
		}
		for id, p := range stack(t, "UmlImages-"+env+"-Standby").ofType("AWS::S3::BucketPolicy") {
			if strings.Contains(id, "UiBucket") && !strings.Contains(js(p.Properties), "cloudfront.amazonaws.com") {
				t.Errorf("%s: CloudFront may not read the standby's editor", id)
			}
		}
	}
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}
