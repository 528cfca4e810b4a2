package templatetests

import (
	"strings"
	"testing"
)

// TestRecords: the public alias to CloudFront and each region's own name;
// the weighted origin records are in no template (the failover owns
// them), and the failover's Route 53 rights are scoped to the zone.
func TestRecords(t *testing.T) {
	alias, direct := false, map[string]bool{}
	for _, part := range []string{"Primary", "Standby"} {
		tpl := stack(t, "UmlImages-prod-"+part)
		for _, r := range tpl.ofType("AWS::Route53::RecordSet") {
			p := r.Properties
			if p["SetIdentifier"] != nil || p["Weight"] != nil {
				t.Errorf("%s: a weighted record in a template; a deploy would reset the switch: %s", tpl.Name, js(p))
			}
			if p["Type"] == "A" && p["AliasTarget"] != nil && p["Name"] == "diagrams.acme.test." {
				alias = true
			}
			if p["Type"] == "CNAME" {
				direct[p["Name"].(string)] = true
			}
		}
		for _, p := range tpl.ofType("AWS::IAM::Policy") {
			doc := js(p.Properties["PolicyDocument"])
			if strings.Contains(doc, "route53:ChangeResourceRecordSets") && !strings.Contains(doc, "hostedzone/Z0ACMEPROD") {
				t.Errorf("Route 53 rights not scoped to the hosted zone: %s", doc)
			}
		}
	}
	if !alias {
		t.Error("no alias record for the public name")
	}
	for _, name := range []string{"eu-west-1.origin.diagrams.acme.test.", "eu-central-1.origin.diagrams.acme.test."} {
		if !direct[name] {
			t.Errorf("no record for the region's own name %s (have %v)", name, direct)
		}
	}
	for _, part := range []string{"Primary", "Standby"} {
		if dev := stack(t, "UmlImages-dev-"+part); len(dev.ofType("AWS::Route53::RecordSet")) != 0 {
			t.Errorf("dev %s has no domain, yet has records", part)
		}
	}
}
