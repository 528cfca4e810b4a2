package render_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

const dot = "digraph G { Hello -> World }"

// TestKrokiGoGET: kroki-go and kroki-cli send GET with padded base64url
// and Accept: text/plain.
func TestKrokiGoGET(t *testing.T) {
	s := newStack(t)
	padded := base64.URLEncoding.EncodeToString(mustDecodeRaw(t, enc(dot)))
	if !strings.HasSuffix(padded, "=") {
		t.Fatalf("want a padded payload for this test, got %q", padded)
	}
	r := s.do(t, "GET", "/graphviz/svg/"+padded, "", "Accept", "text/plain").expect(t, 200)
	if ct := r.Header.Get("Content-Type"); ct != "image/svg+xml" {
		t.Errorf("Content-Type: got %q, want image/svg+xml", ct)
	}
	if got := s.kroki.lastSource(); got != dot {
		t.Errorf("Kroki got %q, want %q", got, dot)
	}
	if string(r.body) != string(svgOf([]byte(dot))) {
		t.Errorf("body: got %q", r.body)
	}
}

func mustDecodeRaw(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMermaidLiveEditorGET: the Mermaid live editor sends unpadded base64url.
func TestMermaidLiveEditorGET(t *testing.T) {
	s := newStack(t)
	src := "graph TD\n  A --> B"
	s.do(t, "GET", "/mermaid/svg/"+enc(src), "").expect(t, 200)
	if got := s.kroki.lastSource(); got != src {
		t.Errorf("Kroki got %q, want %q", got, src)
	}
}

func TestPlantUMLServerEncodedGET(t *testing.T) {
	s := newStack(t)
	s.do(t, "GET", "/plantuml/svg/SyfFKj2rKt3CoKnELR1Io4ZDoSa70000", "").expect(t, 200)
	if got := s.kroki.lastSource(); got != "Bob -> Alice : hello" {
		t.Errorf("Kroki got %q, want the decoded PlantUML source", got)
	}
	s.do(t, "GET", "/c4plantuml/png/~h426f62202d3e20416c696365", "").expect(t, 200)
	if got := s.kroki.lastSource(); got != "Bob -> Alice" {
		t.Errorf("Kroki got %q for a ~h payload", got)
	}
}

// TestPOSTFormEncoded: curl --data-raw sends
// application/x-www-form-urlencoded; the body is still the source.
func TestPOSTFormEncoded(t *testing.T) {
	s := newStack(t)
	src := "digraph { a -> b [label=\"x&y=z\"] }"
	r := s.do(t, "POST", "/graphviz/svg", src, "Content-Type", "application/x-www-form-urlencoded").expect(t, 200)
	if got := s.kroki.lastSource(); got != src {
		t.Errorf("Kroki got %q, want %q", got, src)
	}
	if r.Header.Get("X-Cache") != "miss" {
		t.Errorf("X-Cache: got %q, want miss", r.Header.Get("X-Cache"))
	}
}

func TestPOSTRootJSON(t *testing.T) {
	s := newStack(t)
	body := `{"diagram_source":"` + dot + `","diagram_type":"graphviz","output_format":"png","diagram_options":{"Theme":"dark"}}`
	r := s.do(t, "POST", "/", body, "Content-Type", "application/json").expect(t, 200)
	if ct := r.Header.Get("Content-Type"); ct != "image/png" {
		t.Errorf("Content-Type: got %q, want image/png", ct)
	}
	if got := s.kroki.lastHeader().Get("Kroki-Diagram-Options-Theme"); got != "dark" {
		t.Errorf("option forwarded: got %q, want dark", got)
	}
	for field, body := range map[string]string{
		"diagram_source": `{"diagram_type":"graphviz","output_format":"svg"}`,
		"diagram_type":   `{"diagram_source":"x","output_format":"svg"}`,
		"output_format":  `{"diagram_source":"x","diagram_type":"graphviz"}`,
	} {
		r := s.do(t, "POST", "/", body, "Content-Type", "application/json").expect(t, 400)
		if want := "Error 400: Field " + field + " must not be empty.\n"; string(r.body) != want {
			t.Errorf("missing %s: got %q, want %q", field, r.body, want)
		}
	}
	s.do(t, "POST", "/", "{not json", "Content-Type", "application/json").expect(t, 400)
}

func TestPOSTTypeWithJSONAndAccept(t *testing.T) {
	s := newStack(t)
	r := s.do(t, "POST", "/graphviz", dot, "Accept", "image/png").expect(t, 200)
	if r.Header.Get("Content-Type") != "image/png" {
		t.Errorf("Accept image/png: got %q", r.Header.Get("Content-Type"))
	}
	r = s.do(t, "POST", "/graphviz", `{"diagram_source":"`+dot+`","output_format":"svg"}`, "Content-Type", "application/json").expect(t, 200)
	if r.Header.Get("Content-Type") != "image/svg+xml" {
		t.Errorf("JSON output_format svg: got %q", r.Header.Get("Content-Type"))
	}
	r = s.do(t, "POST", "/blockdiag", "blockdiag{a->b}", "Accept", "image/jpeg").expect(t, 400)
	if !strings.Contains(r.Header.Get("X-Diagram-Error"), "Content negotiation failed, no output format found for the following MIME types: image/jpeg.") {
		t.Errorf("unsatisfiable Accept: got %q", r.Header.Get("X-Diagram-Error"))
	}
}

func TestOptionsPrecedence(t *testing.T) {
	s := newStack(t)
	body := `{"diagram_source":"` + dot + `","diagram_options":{"theme":"json"}}`
	s.do(t, "POST", "/graphviz/svg?theme=query&scale=3&layout=query", body,
		"Content-Type", "application/json",
		"Kroki-Diagram-Options-Theme", "header",
		"Kroki-Diagram-Options-Layout", "header").expect(t, 200)
	h := s.kroki.lastHeader()
	for opt, want := range map[string]string{"Theme": "json", "Layout": "header", "Scale": "3"} {
		if got := h.Get("Kroki-Diagram-Options-" + opt); got != want {
			t.Errorf("option %s: got %q, want %q", opt, got, want)
		}
	}
	// Options are part of the key: another theme is another render.
	calls := s.kroki.calls.Load()
	s.do(t, "GET", "/graphviz/svg/"+enc(dot)+"?theme=other", "").expect(t, 200)
	if s.kroki.calls.Load() != calls+1 {
		t.Error("a different option was served from the cache")
	}
}

func TestKrokiErrorWording(t *testing.T) {
	s := newStack(t)
	cases := []struct {
		name, method, path, body string
		status                   int
		prefix                   string
		allow                    string
	}{
		{"unknown type", "GET", "/nope/svg/" + enc(dot), "", 400, "Error 400: Unsupported diagram type: nope. Must be one of actdiag, blockdiag, bpmn,", ""},
		{"unknown type POST", "POST", "/nope/svg", dot, 400, "Error 400: Unsupported diagram type: nope.", ""},
		{"unsupported format", "GET", "/blockdiag/jpeg/" + enc("blockdiag{a->b}"), "", 400, "Error 400: Unsupported output format: jpeg for blockdiag. Must be one of png, svg or pdf.", ""},
		{"empty body", "POST", "/graphviz/svg", "", 400, "Error 400: Request body must not be empty.", ""},
		{"blank body", "POST", "/graphviz/svg", " \n ", 400, "Error 400: Request body must not be empty.", ""},
		{"bad base64", "GET", "/graphviz/svg/abc$def", "", 400, "Error 400: Unable to decode the source. The source is not in valid Base64 scheme.", ""},
		{"GET on /{type}", "GET", "/graphviz", "", 405, "Error 405: Method Not Allowed", "POST"},
		{"PUT on /{type}/{format}", "PUT", "/graphviz/svg", dot, 405, "Error 405: Method Not Allowed", "POST"},
		{"DELETE on a render", "DELETE", "/graphviz/svg/" + enc(dot), "", 405, "Error 405: Method Not Allowed", "GET, HEAD"},
		{"GET on /", "GET", "/", "", 404, "Error 404: Not Found", ""},
		{"PUT on /", "PUT", "/", "", 405, "Error 405: Method Not Allowed", "POST"},
		{"unknown route", "GET", "/a/b/c/d", "", 404, "Error 404: Not Found", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.do(t, c.method, c.path, c.body).expect(t, c.status)
			if !strings.HasPrefix(string(r.body), c.prefix) {
				t.Errorf("body: got %q, want prefix %q", r.body, c.prefix)
			}
			if got := r.Header.Get("Allow"); got != c.allow {
				t.Errorf("Allow: got %q, want %q", got, c.allow)
			}
			if r.Header.Get("X-Diagram-Error") == "" {
				t.Error("no X-Diagram-Error header")
			}
		})
	}
}

func TestErrorNegotiation(t *testing.T) {
	s := newStack(t)
	path := "/graphviz/svg/" + enc("digraph {\n a -> syntax error\n}")
	t.Run("json", func(t *testing.T) {
		r := s.do(t, "GET", path, "", "Accept", "application/json").expect(t, 400)
		var got struct {
			Error struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(r.body, &got); err != nil || got.Error.Code != 400 || !strings.Contains(got.Error.Message, "syntax error in line 2") {
			t.Errorf("got %s (%v)", r.body, err)
		}
	})
	t.Run("text", func(t *testing.T) {
		r := s.do(t, "GET", path, "", "Accept", "text/plain").expect(t, 400)
		if want := "Error 400: Error: <stdin>: syntax error in line 2 near '->'\n"; string(r.body) != want {
			t.Errorf("got %q, want %q", r.body, want)
		}
	})
	t.Run("img tag", func(t *testing.T) {
		r := s.do(t, "GET", path, "", "Accept", "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8").expect(t, 400)
		if r.Header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(string(r.body), "<svg") || !strings.Contains(string(r.body), "syntax error in line 2 near &#39;-&gt;&#39;") {
			t.Errorf("got %s %q", r.Header.Get("Content-Type"), r.body)
		}
		if r.Header.Get("Content-Security-Policy") == "" {
			t.Error("SVG error image without a CSP")
		}
	})
	r := s.do(t, "GET", path, "")
	if got := r.Header.Get("X-Diagram-Error-Line"); got != "2" {
		t.Errorf("X-Diagram-Error-Line: got %q, want 2", got)
	}
	if got := r.Header.Get("X-Diagram-Error"); got != "Error: <stdin>: syntax error in line 2 near '->'" {
		t.Errorf("X-Diagram-Error: got %q", got)
	}
	if got := r.Header.Get("Cache-Control"); got != "public, max-age=60" {
		t.Errorf("4xx Cache-Control: got %q", got)
	}
}

func TestResponseHeaders(t *testing.T) {
	s := newStack(t)
	r := s.do(t, "GET", "/graphviz/svg/"+enc(dot), "").expect(t, 200)
	want := map[string]string{
		"Cache-Control":          "public, max-age=31536000, immutable",
		"X-Content-Type-Options": "nosniff",
		"Content-Type":           "image/svg+xml",
		"X-Cache":                "miss",
	}
	for h, v := range want {
		if got := r.Header.Get(h); got != v {
			t.Errorf("%s: got %q, want %q", h, got, v)
		}
	}
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("SVG CSP: got %q", csp)
	}
	if etag := r.Header.Get("ETag"); len(etag) != 66 {
		t.Errorf("ETag: got %q, want a quoted sha256", etag)
	}
	png := s.do(t, "GET", "/graphviz/png/"+enc(dot), "").expect(t, 200)
	if png.Header.Get("Content-Security-Policy") != "" || png.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("PNG headers: %v", png.Header)
	}
	pre := s.do(t, "OPTIONS", "/graphviz/svg", "", "Origin", "http://127.0.0.1:9002", "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type").expect(t, http.StatusNoContent)
	if pre.Header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(pre.Header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Errorf("CORS preflight: %v", pre.Header)
	}
}
