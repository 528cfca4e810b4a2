package templatetests

import (
	"strings"
	"testing"
)

// TestRecords: the pre-created weighted records the failover switches,
// the public alias to CloudFront, and the failover's Route 53 rights
// scoped to that hosted zone.
func TestRecords(t *testing.T) {
	tpl := stack(t, "UmlImages-prod-Primary")
	weights := map[string]float64{}
	alias := false
	for _, r := range tpl.ofType("AWS::Route53::RecordSet") {
		p := r.Properties
		if p["Type"] == "CNAME" && p["Name"] == "origin.diagrams.acme.test." {
			weights[p["SetIdentifier"].(string)] = p["Weight"].(float64)
		}
		if p["Type"] == "A" && p["AliasTarget"] != nil && p["Name"] == "diagrams.acme.test." {
			alias = true
		}
	}
	if weights["primary"] != 100 || weights["standby"] != 0 || len(weights) != 2 {
		t.Errorf("weighted origin records: %v, want primary 100, standby 0", weights)
	}
	if !alias {
		t.Error("no alias record for the public name")
	}
	for _, p := range tpl.ofType("AWS::IAM::Policy") {
		doc := js(p.Properties["PolicyDocument"])
		if strings.Contains(doc, "route53:ChangeResourceRecordSets") && !strings.Contains(doc, "hostedzone/Z0ACMEPROD") {
			t.Errorf("Route 53 rights not scoped to the hosted zone: %s", doc)
		}
	}
	if dev := stack(t, "UmlImages-dev-Primary"); len(dev.ofType("AWS::Route53::RecordSet")) != 0 {
		t.Error("dev has no domain, yet has records")
	}
}
