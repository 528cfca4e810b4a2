package templatetests

import (
	"strings"
	"testing"

	"github.com/umlimages/umlimages/internal/config"
)

// TestUIDeploys: a UI deploy invalidates the distribution; the page and its
// configuration are served no-cache, the content-hashed assets immutable;
// the UI cache honours them (minimum TTL 0).
func TestUIDeploys(t *testing.T) {
	for _, env := range environments() {
		tpl, cfg := distribution(t, env)
		deploys := tpl.ofType("Custom::CDKBucketDeployment")
		invalidated, page, assets := false, false, false
		for _, d := range deploys {
			p := d.Properties
			if p["DistributionId"] != nil && strings.Contains(js(p["DistributionPaths"]), "/index.html") && strings.Contains(js(p["DistributionPaths"]), "/config.json") {
				invalidated = true
			}
			md := js(p["SystemMetadata"])
			switch {
			case strings.Contains(md, `"cache-control":"no-cache"`) && strings.Contains(js(p["Include"]), "index.html") && strings.Contains(js(p["Include"]), "config.json"):
				page = true
			case strings.Contains(md, `immutable`) && strings.Contains(js(p["Include"]), "assets/*"):
				assets = true
			}
			if p["Prune"] != false && len(deploys) > 1 {
				t.Errorf("%s: a deployment prunes what the other uploads", tpl.Name)
			}
		}
		if !invalidated || !page || !assets {
			t.Errorf("%s: invalidated=%v, page no-cache=%v, assets immutable=%v: %s", tpl.Name, invalidated, page, assets, js(deploys))
		}
		for _, b := range cfg["CacheBehaviors"].([]any) {
			b := b.(map[string]any)
			if p := b["PathPattern"]; p == "/index.html" || p == "/config.json" {
				ref := js(b["CachePolicyId"])
				for id, cp := range tpl.ofType("AWS::CloudFront::CachePolicy") {
					if ref == `{"Ref":"`+id+`"}` && cp.Properties["CachePolicyConfig"].(map[string]any)["MinTTL"] != 0.0 {
						t.Errorf("%s %s: minimum TTL %v keeps a no-cache page", tpl.Name, p, cp.Properties["CachePolicyConfig"].(map[string]any)["MinTTL"])
					}
				}
				if !strings.Contains(ref, `"Ref"`) {
					t.Errorf("%s %s: cache policy %s is not ours (a managed one has a minimum TTL)", tpl.Name, p, ref)
				}
			}
		}
	}
}

// TestPublicBaseURL: every render function knows its public address (the
// domain, or the distribution's; a standby without a domain, its stage).
func TestPublicBaseURL(t *testing.T) {
	for _, env := range environments() {
		for _, part := range []string{"Primary", "Standby"} {
			tpl := stack(t, "UmlImages-"+env+"-"+part)
			for _, f := range tpl.ours() {
				if f.Properties["Description"] != "UML Images render" {
					continue
				}
				vars := f.Properties["Environment"].(map[string]any)["Variables"].(map[string]any)
				got := plausible(vars[config.EnvPublicBaseURL], *tpl.Stack.Region())
				var want string
				switch {
				case envs[env].Domain != "":
					want = "https://" + envs[env].Domain
				case part == "Primary":
					want = "distribution"
				default:
					want = "/api"
				}
				if !strings.Contains(got, want) || !strings.HasPrefix(got, "https://") {
					t.Errorf("%s: PUBLIC_BASE_URL %q (%s), want %s", tpl.Name, got, js(vars[config.EnvPublicBaseURL]), want)
				}
			}
		}
	}
}
