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
	}
}
