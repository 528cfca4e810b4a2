package templatetests

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/umlimages/umlimages/cdk/infra"
)

// harness runs a CloudFront Function's code under Node the way CloudFront
// does: handler(event) with the cloudfront module's origin helpers
// recorded, for each event read from stdin.
const harness = `
const fs = require('fs'), vm = require('vm');
const src = fs.readFileSync(process.argv[1], 'utf8').replace(/^import cf from 'cloudfront';/, '');
const out = JSON.parse(fs.readFileSync(0, 'utf8')).map(event => {
  const origins = [];
  const ctx = {cf: {selectRequestOriginById: id => origins.push(id)}};
  vm.createContext(ctx);
  vm.runInContext(src, ctx);
  const r = ctx.handler(JSON.parse(JSON.stringify(event)));
  return {result: r, origins};
});
process.stdout.write(JSON.stringify(out));
`

type cfEvent struct {
	Request  *cfRequest  `json:"request,omitempty"`
	Response *cfResponse `json:"response,omitempty"`
}

type cfValue struct {
	Value string `json:"value"`
}

type cfRequest struct {
	Method      string             `json:"method"`
	URI         string             `json:"uri"`
	Querystring map[string]cfValue `json:"querystring"`
	Headers     map[string]cfValue `json:"headers"`
}

type cfResponse struct {
	StatusCode int                `json:"statusCode"`
	Headers    map[string]cfValue `json:"headers"`
}

type cfOutcome struct {
	Request  cfRequest
	Response cfResponse
	Origins  []string
	// Keys is the query's key order as the function left it.
	Keys []string
}

func node(t *testing.T) string {
	t.Helper()
	if n := os.Getenv("JSII_NODE"); n != "" {
		return n
	}
	n, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("no node: run through make test, which installs it")
	}
	return n
}

// runFunction runs the edge function file on events.
func runFunction(t *testing.T, file string, events []cfEvent) []cfOutcome {
	t.Helper()
	code, err := infra.EdgeFunctionCode(file)
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), file)
	os.WriteFile(src, []byte(code), 0o644)
	in, _ := json.Marshal(events)
	cmd := exec.Command(node(t), "-e", harness, src)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var raw []struct {
		Result  json.RawMessage `json:"result"`
		Origins []string        `json:"origins"`
	}
	if err := json.Unmarshal(out, &raw); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	res := make([]cfOutcome, len(raw))
	for i, r := range raw {
		res[i].Origins = r.Origins
		if events[i].Request != nil {
			json.Unmarshal(r.Result, &res[i].Request)
			var order struct {
				Querystring json.RawMessage `json:"querystring"`
			}
			json.Unmarshal(r.Result, &order)
			res[i].Keys = objectKeys(order.Querystring)
		} else {
			json.Unmarshal(r.Result, &res[i].Response)
		}
	}
	return res
}

// objectKeys lists a JSON object's keys in their order.
func objectKeys(raw json.RawMessage) []string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	var keys []string
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	for dec.More() {
		tok, _ := dec.Token()
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		dec.Decode(&skip)
	}
	return keys
}

func get(method, uri string, query, headers map[string]string) cfEvent {
	r := &cfRequest{Method: method, URI: uri, Querystring: map[string]cfValue{}, Headers: map[string]cfValue{}}
	for k, v := range query {
		r.Querystring[k] = cfValue{v}
	}
	for k, v := range headers {
		r.Headers[k] = cfValue{v}
	}
	return cfEvent{Request: r}
}

const (
	chromeImg  = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
	firefoxImg = "image/avif,image/webp,*/*"
	chromeDoc  = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
)

// TestViewerRequestFunction: every fold and class, the editor at /, and a
// request with neither options nor Accept left as it came.
func TestViewerRequestFunction(t *testing.T) {
	cases := []struct {
		name    string
		in      cfEvent
		uri     string
		query   map[string]string
		keys    []string
		accept  string // "" : no Accept header
		origins []string
	}{
		{name: "option headers fold into the query, sorted and lower-cased",
			in: get("GET", "/plantuml/svg/SoWkIImgAStDuN98pKi1IW80", nil, map[string]string{
				"kroki-diagram-options-theme": "dark", "kroki-diagram-options-Scale": "2", "user-agent": "kroki-cli"}),
			uri: "/plantuml/svg/SoWkIImgAStDuN98pKi1IW80", query: map[string]string{"scale": "2", "theme": "dark"}, keys: []string{"scale", "theme"}},
		{name: "a header wins over the query's option of the same name",
			in:  get("GET", "/graphviz/svg/x", map[string]string{"THEME": "light", "b": "1"}, map[string]string{"kroki-diagram-options-theme": "dark"}),
			uri: "/graphviz/svg/x", query: map[string]string{"b": "1", "theme": "dark"}, keys: []string{"b", "theme"}},
		{name: "the query is sorted", in: get("GET", "/graphviz/svg/x", map[string]string{"zeta": "1", "alpha": "2"}, nil),
			uri: "/graphviz/svg/x", query: map[string]string{"alpha": "2", "zeta": "1"}, keys: []string{"alpha", "zeta"}},
		{name: "a browser's image Accept is image", in: get("GET", "/graphviz/svg/x", nil, map[string]string{"accept": chromeImg}),
			uri: "/graphviz/svg/x", query: map[string]string{}, accept: "image/*"},
		{name: "JSON", in: get("GET", "/graphviz/svg/x", nil, map[string]string{"accept": "application/json"}),
			uri: "/graphviz/svg/x", query: map[string]string{}, accept: "application/json"},
		{name: "a browser's page Accept is text", in: get("GET", "/graphviz/svg/x", nil, map[string]string{"accept": chromeDoc}),
			uri: "/graphviz/svg/x", query: map[string]string{}, accept: "text/plain"},
		{name: "*/* is text", in: get("HEAD", "/graphviz/svg/x", nil, map[string]string{"accept": "*/*"}),
			uri: "/graphviz/svg/x", query: map[string]string{}, accept: "text/plain"},
		{name: "q orders the ranges", in: get("GET", "/graphviz/svg/x", nil, map[string]string{"accept": "application/json;q=0.5, image/png"}),
			uri: "/graphviz/svg/x", query: map[string]string{}, accept: "image/*"},
		{name: "q=0 is refused", in: get("GET", "/graphviz/svg/x", nil, map[string]string{"accept": "application/json;q=0, text/plain"}),
			uri: "/graphviz/svg/x", query: map[string]string{}, accept: "text/plain"},
		{name: "other types are dropped", in: get("GET", "/graphviz/svg/x", nil, map[string]string{"accept": "application/xml"}),
			uri: "/graphviz/svg/x", query: map[string]string{}},
		{name: "POST keeps its Accept (it picks the format) and folds options",
			in:  get("POST", "/plantuml", nil, map[string]string{"accept": "image/png", "kroki-diagram-options-theme": "dark"}),
			uri: "/plantuml", query: map[string]string{"theme": "dark"}, accept: "image/png"},
		{name: "GET / is the editor, one object whatever the query and Accept",
			in:  get("GET", "/", map[string]string{"src": "eNpLyUwvSizIUHBXqPYqSk3PzKsFAC8cBUo"}, map[string]string{"accept": chromeDoc}),
			uri: "/index.html", query: map[string]string{}, origins: []string{"ui"}},
		{name: "HEAD / is the editor", in: get("HEAD", "/", nil, nil), uri: "/index.html", query: map[string]string{}, origins: []string{"ui"}},
		{name: "POST / is Kroki's JSON route", in: get("POST", "/", nil, map[string]string{"accept": "image/svg+xml"}),
			uri: "/", query: map[string]string{}, accept: "image/svg+xml"},
		{name: "neither options nor Accept", in: get("GET", "/graphviz/svg/eNpLyUwvSizIUHBXqPYqSk3PzKsFAC8cBUo=", nil, map[string]string{"host": "d.example"}),
			uri: "/graphviz/svg/eNpLyUwvSizIUHBXqPYqSk3PzKsFAC8cBUo=", query: map[string]string{}},
	}
	events := make([]cfEvent, len(cases))
	for i, c := range cases {
		events[i] = c.in
	}
	out := runFunction(t, "viewer-request.js", events)
	for i, c := range cases {
		got := out[i]
		query := map[string]string{}
		for k, v := range got.Request.Querystring {
			query[k] = v.Value
		}
		if got.Request.URI != c.uri || !reflect.DeepEqual(query, c.query) || got.Request.Headers["accept"].Value != c.accept ||
			strings.Join(got.Origins, ",") != strings.Join(c.origins, ",") {
			t.Errorf("%s: got uri %s query %v accept %q origins %v; want %s %v %q %v", c.name,
				got.Request.URI, query, got.Request.Headers["accept"].Value, got.Origins, c.uri, c.query, c.accept, c.origins)
		}
		if c.keys != nil && !reflect.DeepEqual(got.Keys, c.keys) {
			t.Errorf("%s: query order %v, want %v", c.name, got.Keys, c.keys)
		}
		for h := range got.Request.Headers {
			if strings.HasPrefix(h, "kroki-diagram-options-") {
				t.Errorf("%s: header %s left in place", c.name, h)
			}
		}
		if len(got.Request.Headers) != len(c.in.Request.Headers)-countOptions(c.in.Request.Headers)-dropped(c.in.Request.Headers, c.accept) {
			t.Errorf("%s: headers %v from %v", c.name, got.Request.Headers, c.in.Request.Headers)
		}
	}
}

func countOptions(h map[string]cfValue) int {
	n := 0
	for k := range h {
		if strings.HasPrefix(k, "kroki-diagram-options-") {
			n++
		}
	}
	return n
}

func dropped(h map[string]cfValue, accept string) int {
	if _, ok := h["accept"]; ok && accept == "" {
		return 1
	}
	return 0
}

// TestViewerResponseFunction: the editor's HTML gets the UI's framing and
// content policies; renders and errors do not.
func TestViewerResponseFunction(t *testing.T) {
	resp := func(ct string) cfEvent {
		return cfEvent{Response: &cfResponse{StatusCode: 200, Headers: map[string]cfValue{"content-type": {ct}}}}
	}
	out := runFunction(t, "viewer-response.js", []cfEvent{resp("text/html"), resp("image/svg+xml"), resp("text/plain; charset=utf-8")})
	if h := out[0].Response.Headers; h["x-frame-options"].Value != "DENY" || !strings.Contains(h["content-security-policy"].Value, "frame-ancestors 'none'") {
		t.Errorf("the editor's page: %v", h)
	}
	for _, o := range out[1:] {
		if _, ok := o.Response.Headers["x-frame-options"]; ok {
			t.Errorf("a render got X-Frame-Options: %v", o.Response.Headers)
		}
	}
}

// TestCacheKey: CloudFront's key (path, query, Accept, by the render cache
// policy) after the viewer-request function tells two option sets apart
// and does not split one object per browser.
func TestCacheKey(t *testing.T) {
	for _, env := range environments() {
		tpl := stack(t, "UmlImages-"+env+"-Primary")
		for _, cp := range tpl.ofType("AWS::CloudFront::CachePolicy") {
			cfg := js(cp.Properties)
			if strings.Contains(cfg, "renders") {
				has(t, tpl.Name+" render cache key", cp.Properties, `"QueryStringBehavior":"all"`, `"Headers":["Accept"]`)
			}
		}
	}
	path := "/plantuml/svg/SoWkIImgAStDuN98pKi1IW80"
	out := runFunction(t, "viewer-request.js", []cfEvent{
		get("GET", path, nil, map[string]string{"kroki-diagram-options-theme": "dark", "accept": chromeImg}),
		get("GET", path, nil, map[string]string{"kroki-diagram-options-theme": "light", "accept": chromeImg}),
		get("GET", path, nil, map[string]string{"kroki-diagram-options-theme": "dark", "accept": firefoxImg}),
		get("GET", path, map[string]string{"theme": "dark"}, map[string]string{"accept": "image/png"}),
	})
	key := func(o cfOutcome) string {
		var q []string
		for _, k := range o.Keys {
			q = append(q, k+"="+o.Request.Querystring[k].Value)
		}
		return o.Request.URI + "?" + strings.Join(q, "&") + " accept=" + o.Request.Headers["accept"].Value
	}
	if key(out[0]) == key(out[1]) {
		t.Errorf("two option sets share the cached object %s", key(out[0]))
	}
	if key(out[0]) != key(out[2]) || key(out[0]) != key(out[3]) {
		t.Errorf("one render is split per client: %s, %s, %s", key(out[0]), key(out[2]), key(out[3]))
	}
}
