package templatetests

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/umlimages/umlimages/internal/config"
	"github.com/umlimages/umlimages/internal/diagram"
)

// counted are the core rule set's rules that real diagrams trip: long
// encoded URLs, and sources with HTML labels, "../" or a metadata address.
var counted = map[string]string{
	"SizeRestrictions_URIPATH": "awswaf:managed:aws:core-rule-set:SizeRestrictions_URIPath",
	"SizeRestrictions_BODY":    "awswaf:managed:aws:core-rule-set:SizeRestrictions_Body",
	"CrossSiteScripting_BODY":  "awswaf:managed:aws:core-rule-set:CrossSiteScripting_Body",
	"GenericLFI_BODY":          "awswaf:managed:aws:core-rule-set:GenericLFI_Body",
	"GenericRFI_BODY":          "awswaf:managed:aws:core-rule-set:GenericRFI_Body",
	"EC2MetaDataSSRF_BODY":     "awswaf:managed:aws:core-rule-set:EC2MetaDataSSRF_Body",
}

type wafRule struct {
	Name           string         `json:"Name"`
	Priority       float64        `json:"Priority"`
	Action         map[string]any `json:"Action"`
	OverrideAction map[string]any `json:"OverrideAction"`
	Statement      map[string]any `json:"Statement"`
}

func webACL(t *testing.T, env string) []wafRule {
	t.Helper()
	tpl := stack(t, "UmlImages-"+env+"-Edge")
	acls := tpl.ofType("AWS::WAFv2::WebACL")
	if len(acls) != 1 {
		t.Fatalf("%d web ACLs", len(acls))
	}
	var rules []wafRule
	for _, acl := range acls {
		has(t, "web ACL", acl.Properties, `"Scope":"CLOUDFRONT"`, `"AggregateKeyType":"IP"`)
		decode(t, acl.Properties["Rules"], &rules)
	}
	return rules
}

// TestFirewallPassesKrokiTraffic: on the render routes the core rules that
// real diagrams trip only count, and our own size limits apply instead;
// everywhere else they block. The routes and limits are checked against
// what real clients send: an 8 KB encoded GET, a 1 MiB POST.
func TestFirewallPassesKrokiTraffic(t *testing.T) {
	for _, env := range environments() {
		rules := webACL(t, env)
		var crs, outside, uriSize, bodySize *wafRule
		for i := range rules {
			r := &rules[i]
			s := js(r.Statement)
			switch {
			case strings.Contains(s, `"Name":"AWSManagedRulesCommonRuleSet"`):
				crs = r
			case strings.Contains(s, "LabelMatchStatement"):
				outside = r
			case strings.Contains(s, `"UriPath"`) && strings.Contains(s, "SizeConstraintStatement"):
				uriSize = r
			case strings.Contains(s, `"content-length"`):
				bodySize = r
			}
		}
		if crs == nil || outside == nil || uriSize == nil || bodySize == nil {
			t.Fatalf("%s: want the core rule set, a rule blocking its counted labels off the render routes, and size rules on them; have %s", env, js(rules))
		}
		overrides := map[string]string{}
		for _, o := range crs.Statement["ManagedRuleGroupStatement"].(map[string]any)["RuleActionOverrides"].([]any) {
			o := o.(map[string]any)
			overrides[o["Name"].(string)] = js(o["ActionToUse"])
		}
		for name, label := range counted {
			if overrides[name] != `{"Count":{}}` {
				t.Errorf("%s: %s is not overridden to Count: a real Kroki request is blocked", env, name)
			}
			if !strings.Contains(js(outside.Statement), `"Key":"`+label+`"`) {
				t.Errorf("%s: %s is not blocked off the render routes (label %s)", env, name, label)
			}
		}
		if outside.Priority <= crs.Priority || js(outside.Action) != `{"Block":{}}` {
			t.Errorf("%s: the label rule must run after the rule group and block: %s", env, js(outside))
		}

		routes := renderRoutes(t, outside.Statement, true)
		if got := renderRoutes(t, uriSize.Statement, false); got.String() != routes.String() {
			t.Errorf("%s: the URI size rule is scoped to %s, not the render routes %s", env, got, routes)
		}
		if got := renderRoutes(t, bodySize.Statement, false); got.String() != routes.String() {
			t.Errorf("%s: the body size rule is scoped to %s, not the render routes %s", env, got, routes)
		}
		long := longGET(8 << 10)
		for _, path := range []string{"/", "/plantuml", "/plantuml/svg", long, "/graphviz/png/eNpLyUwvSizIUHBXqPYqSk3PzKsFAC8cBUo=",
			"/dot/svg/eNpLyUwvSizIUHBXqPYqSk3PzKsFAC8cBUo=", "/c4plantuml/svg", "/mermaid/svg/", "/d/0123abcd/svg", "/d/0123abcd", "/v1/diagrams",
			"/PlantUML/SVG/SoWkIImgAStDuN98pKi1IW80"} {
			if !routes.MatchString(strings.ToLower(path)) {
				t.Errorf("%s: %.60s… is a render route the rules do not recognise", env, path)
			}
		}
		for _, path := range []string{"/index.html", "/config.json", "/assets/editor-3f2a9c.js", "/renders/ab12.svg", "/wp-login.php", "/.env", "/plantuml/svg/a/b"} {
			if routes.MatchString(strings.ToLower(path)) {
				t.Errorf("%s: %s is taken for a render route", env, path)
			}
		}

		size := uriSize.Statement["AndStatement"].(map[string]any)["Statements"].([]any)
		limit := -1.0
		for _, st := range size {
			if sc, ok := st.(map[string]any)["SizeConstraintStatement"].(map[string]any); ok {
				if sc["ComparisonOperator"] == "GT" {
					limit = sc["Size"].(float64)
				}
			}
		}
		if limit != 16384 || js(uriSize.Action) != `{"Block":{}}` {
			t.Errorf("%s: render URIs are limited to %v bytes, want 16384 (Kroki's KROKI_MAX_URI_LENGTH), blocking", env, limit)
		}

		lengths := contentLengthPattern(t, bodySize.Statement)
		for _, n := range []int{0, 1, 8192, 65536, 999999, 1048575, config.DefaultMaxSourceBytes} {
			if lengths.MatchString(strconv.Itoa(n)) {
				t.Errorf("%s: a %d-byte body is blocked; the source limit is %d", env, n, config.DefaultMaxSourceBytes)
			}
		}
		for _, n := range []int{config.DefaultMaxSourceBytes + 1, 1048600, 1049000, 1050000, 1100000, 2000000, 9999999, 10000000, 123456789012} {
			if !lengths.MatchString(strconv.Itoa(n)) {
				t.Errorf("%s: a %d-byte body passes; the source limit is %d", env, n, config.DefaultMaxSourceBytes)
			}
		}
		if js(bodySize.Action) != `{"Block":{}}` {
			t.Errorf("%s: oversize bodies are not blocked", env)
		}
	}
}

// renderRoutes finds the render-route regex in a statement (inside a
// NotStatement when negated), applied to the lower-cased URI path.
func renderRoutes(t *testing.T, st map[string]any, negated bool) *regexp.Regexp {
	t.Helper()
	s := js(st)
	m := regexp.MustCompile(`"RegexMatchStatement":\{"FieldToMatch":\{"UriPath":\{\}\},"RegexString":"((?:[^"\\]|\\.)*)","TextTransformations":\[\{"Priority":0,"Type":"LOWERCASE"\}\]\}`).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no render-route regex on the lower-cased URI path in %s", s)
	}
	if negated != strings.Contains(s, `"NotStatement":{"Statement":{"RegexMatchStatement"`) {
		t.Fatalf("render routes negated=%v expected in %s", negated, s)
	}
	var pattern string
	decode(t, []byte(`"`+m[1]+`"`), &pattern)
	if len(pattern) > 512 {
		t.Errorf("render-route regex is %d characters; AWS WAF takes at most 512", len(pattern))
	}
	return regexp.MustCompile(pattern)
}

func contentLengthPattern(t *testing.T, st map[string]any) *regexp.Regexp {
	t.Helper()
	s := js(st)
	m := regexp.MustCompile(`"RegexMatchStatement":\{"FieldToMatch":\{"SingleHeader":\{"Name":"content-length"\}\},"RegexString":"((?:[^"\\]|\\.)*)"`).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no Content-Length regex in %s", s)
	}
	var pattern string
	decode(t, []byte(`"`+m[1]+`"`), &pattern)
	return regexp.MustCompile(pattern)
}

// longGET is a GET render URL of at least n bytes, as kroki-cli makes it.
func longGET(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	src := "@startuml\nnote as N\n" + hex.EncodeToString(b) + "\nend note\n@enduml\n"
	url := fmt.Sprintf("/plantuml/svg/%s", diagram.Encode([]byte(src)))
	if len(url) < n {
		panic("longGET: too short")
	}
	return url
}
