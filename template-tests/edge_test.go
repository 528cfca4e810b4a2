package templatetests

import (
	"strings"
	"testing"

	"github.com/umlimages/umlimages/cdk/infra"
	"github.com/umlimages/umlimages/internal/config"
)

func distribution(t *testing.T, env string) (*Template, map[string]any) {
	t.Helper()
	tpl := stack(t, "UmlImages-"+env+"-Primary")
	dists := tpl.ofType("AWS::CloudFront::Distribution")
	if len(dists) != 1 {
		t.Fatalf("%s: %d distributions", tpl.Name, len(dists))
	}
	for _, d := range dists {
		return tpl, d.Properties["DistributionConfig"].(map[string]any)
	}
	return nil, nil
}

// TestOriginLock: CloudFront sends the API a secret header kept in Secrets
// Manager (never in clear in a template); every function that calls the
// API directly has it; the execute-api endpoint is off where a custom
// domain serves the API.
func TestOriginLock(t *testing.T) {
	for _, env := range environments() {
		tpl, cfg := distribution(t, env)
		locked := 0
		for _, o := range cfg["Origins"].([]any) {
			o := o.(map[string]any)
			if o["S3OriginConfig"] != nil {
				continue
			}
			for _, h := range asList(o["OriginCustomHeaders"]) {
				h := h.(map[string]any)
				if h["HeaderName"] == config.OriginHeader && strings.Contains(js(h["HeaderValue"]), "{{resolve:secretsmanager:") {
					locked++
				}
			}
		}
		if locked == 0 {
			t.Errorf("%s: the API origin gets no secret header from Secrets Manager", tpl.Name)
		}
		for _, part := range []string{"Primary", "Standby"} {
			tpl := stack(t, "UmlImages-"+env+"-"+part)
			for _, f := range tpl.ours() {
				desc := f.Properties["Description"].(string)
				if desc == "UML Images backup" {
					continue
				}
				if v := js(f.Properties["Environment"]); !strings.Contains(v, `"`+config.EnvOriginSecret+`":{"Fn::Join":["",["{{resolve:secretsmanager:`) {
					t.Errorf("%s %s: no origin secret from Secrets Manager: %.300s", tpl.Name, desc, v)
				}
			}
			for _, api := range tpl.ofType("AWS::ApiGateway::RestApi") {
				if off := api.Properties["DisableExecuteApiEndpoint"] == true; off != (envs[env].Domain != "") {
					t.Errorf("%s: execute-api endpoint disabled=%v with domain %q", tpl.Name, off, envs[env].Domain)
				}
			}
			for _, r := range tpl.ofType("AWS::Events::Rule") {
				if envs[env].Domain != "" && strings.Contains(js(r.Properties["Targets"]), "execute-api") {
					t.Errorf("%s: a probe targets the disabled execute-api endpoint: %.300s", tpl.Name, js(r.Properties["Targets"]))
				}
			}
		}
		secrets := stack(t, "UmlImages-"+env+"-Standby").ofType("AWS::SecretsManager::Secret")
		if len(secrets) != 1 {
			t.Fatalf("%s standby: %d secrets, want the origin secret", env, len(secrets))
		}
		for _, s := range secrets {
			has(t, env+" origin secret", s.Properties, `"GenerateSecretString"`, `"ReplicaRegions":[{"Region":"`+envs[env].PrimaryRegion+`"}]`)
		}
	}
}

// TestEdgeFunctions: the render API's behaviour runs the viewer-request
// and viewer-response functions whose code the unit tests exercise, and
// the editor's origin has the id the request function selects.
func TestEdgeFunctions(t *testing.T) {
	for _, env := range environments() {
		tpl, cfg := distribution(t, env)
		code := map[string]string{}
		for id, f := range tpl.ofType("AWS::CloudFront::Function") {
			if js(f.Properties["FunctionConfig"]) != `{"Comment":`+js(f.Properties["FunctionConfig"].(map[string]any)["Comment"])+`,"Runtime":"cloudfront-js-2.0"}` {
				t.Errorf("%s %s: %s, want runtime cloudfront-js-2.0", tpl.Name, id, js(f.Properties["FunctionConfig"]))
			}
			code[id] = f.Properties["FunctionCode"].(string)
		}
		assoc := map[string]string{}
		for _, a := range asList(cfg["DefaultCacheBehavior"].(map[string]any)["FunctionAssociations"]) {
			a := a.(map[string]any)
			arn := js(a["FunctionARN"])
			for id, c := range code {
				if strings.Contains(arn, `"`+id+`"`) {
					assoc[a["EventType"].(string)] = c
				}
			}
		}
		for event, file := range map[string]string{"viewer-request": "viewer-request.js", "viewer-response": "viewer-response.js"} {
			want, _ := infra.EdgeFunctionCode(file)
			if assoc[event] != want {
				t.Errorf("%s: the render behaviour's %s function is not %s", tpl.Name, event, file)
			}
		}
		ui := false
		for _, o := range cfg["Origins"].([]any) {
			o := o.(map[string]any)
			if o["Id"] == "ui" && o["S3OriginConfig"] != nil && o["OriginAccessControlId"] != nil {
				ui = true
			}
		}
		if !ui {
			t.Errorf("%s: no S3 origin with id ui (the viewer-request function selects it for GET /)", tpl.Name)
		}
		if len(code) > 0 {
			for _, c := range code {
				if len(c) > 10<<10 {
					t.Errorf("%s: a function of %d bytes; CloudFront Functions take 10 KB", tpl.Name, len(c))
				}
			}
		}
	}
}

// TestPostRootReachesTheAPI: no default root object, which CloudFront
// applies to every method (a POST / would go to the UI bucket).
func TestPostRootReachesTheAPI(t *testing.T) {
	for _, env := range environments() {
		tpl, cfg := distribution(t, env)
		if root, ok := cfg["DefaultRootObject"]; ok {
			t.Errorf("%s: default root object %v: Kroki's POST / would land on it", tpl.Name, root)
		}
	}
}

// TestResponseHeaders: framing is denied on the editor only; renders and
// API answers stay embeddable; /renders/ objects get the SVG sandbox.
func TestResponseHeaders(t *testing.T) {
	for _, env := range environments() {
		tpl, cfg := distribution(t, env)
		policies := tpl.ofType("AWS::CloudFront::ResponseHeadersPolicy")
		policyOf := func(behavior any) map[string]any {
			ref := js(behavior.(map[string]any)["ResponseHeadersPolicyId"])
			for id, p := range policies {
				if ref == `{"Ref":"`+id+`"}` {
					return p.Properties["ResponseHeadersPolicyConfig"].(map[string]any)
				}
			}
			t.Fatalf("%s: behaviour without a policy of ours: %s", tpl.Name, ref)
			return nil
		}
		check := func(what string, p map[string]any, frames bool, csp string) {
			sec := p["SecurityHeadersConfig"].(map[string]any)
			if _, ok := sec["FrameOptions"]; ok != frames {
				t.Errorf("%s %s: X-Frame-Options present=%v, want %v", tpl.Name, what, ok, frames)
			}
			got, _ := sec["ContentSecurityPolicy"].(map[string]any)
			if csp == "" && got != nil || csp != "" && (got == nil || got["ContentSecurityPolicy"] != csp || got["Override"] != true) {
				t.Errorf("%s %s: CSP %v, want %q", tpl.Name, what, got, csp)
			}
			has(t, tpl.Name+" "+what, sec, `"StrictTransportSecurity"`, `"ContentTypeOptions"`)
		}
		check("render API", policyOf(cfg["DefaultCacheBehavior"]), false, "")
		for _, b := range cfg["CacheBehaviors"].([]any) {
			switch p := b.(map[string]any)["PathPattern"]; p {
			case "/renders/*":
				check(p.(string), policyOf(b), false, config.SVGContentSecurityPolicy)
			case "/index.html", "/config.json", "/assets/*":
				check(p.(string), policyOf(b), true, config.UIContentSecurityPolicy)
			}
		}
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
