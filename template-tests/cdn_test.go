package templatetests

import "testing"

func TestCDN(t *testing.T) {
	for _, env := range environments() {
		tpl := stack(t, "UmlImages-"+env+"-Primary")
		dists := tpl.ofType("AWS::CloudFront::Distribution")
		if len(dists) != 1 {
			t.Fatalf("%s: %d distributions", tpl.Name, len(dists))
		}
		for _, d := range dists {
			cfg := d.Properties["DistributionConfig"]
			has(t, tpl.Name+" distribution", cfg, `"OriginAccessControlId"`, `"ResponseHeadersPolicyId"`, `"WebACLId"`,
				`"PathPattern":"/renders/*"`, `"PathPattern":"/index.html"`, `"Logging"`,
				`"ErrorCachingMinTTL":0,"ErrorCode":503`, `"ErrorCachingMinTTL":0,"ErrorCode":500`)
			if env != "dev" {
				has(t, tpl.Name+" TLS", cfg, `"MinimumProtocolVersion":"TLSv1.2_2021"`, `"Aliases"`)
			}
		}
		if len(tpl.ofType("AWS::CloudFront::OriginAccessControl")) == 0 {
			t.Errorf("%s: no origin access control", tpl.Name)
		}
		for _, p := range tpl.ofType("AWS::CloudFront::ResponseHeadersPolicy") {
			has(t, tpl.Name+" headers", p.Properties, `"StrictTransportSecurity"`, `"ContentTypeOptions"`, `"FrameOptions"`, `"ContentSecurityPolicy"`)
		}
		for _, cp := range tpl.ofType("AWS::CloudFront::CachePolicy") {
			has(t, tpl.Name+" render cache key", cp.Properties, `"QueryStringBehavior":"all"`, `"Headers":["Accept"]`)
		}
	}
}

// TestFirewall: the web ACL (us-east-1) limits each IP's rate and runs
// AWS's common rules with the 8 KB body rule only counting, so diagram
// POSTs pass.
func TestFirewall(t *testing.T) {
	tpl := stack(t, "UmlImages-prod-Edge")
	acls := tpl.ofType("AWS::WAFv2::WebACL")
	if len(acls) != 1 {
		t.Fatalf("%d web ACLs", len(acls))
	}
	for _, acl := range acls {
		has(t, "web ACL", acl.Properties, `"Scope":"CLOUDFRONT"`, `"RateBasedStatement":{"AggregateKeyType":"IP","Limit":2000}`,
			`"Name":"AWSManagedRulesCommonRuleSet"`, `"ActionToUse":{"Count":{}},"Name":"SizeRestrictions_BODY"`)
	}
}
