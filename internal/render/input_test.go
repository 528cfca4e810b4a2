package render_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/umlimages/umlimages/internal/config"
	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/render"
)

// TestDeflateBomb: a ~4 KB URL inflating past 3 MB is refused with 413
// before Kroki is called.
func TestDeflateBomb(t *testing.T) {
	s := newStack(t, func(o *config.Render) { o.MaxSourceBytes = 1 << 20 })
	bomb := enc(strings.Repeat("A", 3<<20))
	if len(bomb) > 5<<10 {
		t.Fatalf("bomb payload %d bytes; want about 4 KB", len(bomb))
	}
	r := s.do(t, "GET", "/graphviz/svg/"+bomb, "").expect(t, http.StatusRequestEntityTooLarge)
	if !strings.Contains(string(r.body), "exceeds the limit of 1048576 bytes") {
		t.Errorf("body: %q", r.body)
	}
	if s.kroki.calls.Load() != 0 {
		t.Error("Kroki was called for a deflate bomb")
	}
}

func TestSourceLimit(t *testing.T) {
	const max = 1000
	s := newStack(t, func(o *config.Render) { o.MaxSourceBytes = max })
	for _, n := range []int{max - 1, max, max + 1} {
		src := "x" + strings.Repeat("y", n-1)
		want := 200
		if n > max {
			want = http.StatusRequestEntityTooLarge
		}
		s.do(t, "POST", "/graphviz/svg", src).expect(t, want)
		s.do(t, "GET", "/graphviz/svg/"+enc(src), "").expect(t, want)
		body, _ := json.Marshal(map[string]string{"diagram_source": src, "diagram_type": "graphviz", "output_format": "svg"})
		s.do(t, "POST", "/", string(body), "Content-Type", "application/json").expect(t, want)
	}
}

// TestLongRequestLine: CloudFront passes request lines up to 8 KB; they
// render. Past our own limit the answer is 414.
func TestLongRequestLine(t *testing.T) {
	s := newStack(t)
	noise := make([]byte, 5950)
	rand.Read(noise)
	path := "/graphviz/svg/" + enc(base64.StdEncoding.EncodeToString(noise))
	if len(path) < 8000 || len(path) > 8192 {
		t.Fatalf("path is %d bytes; want about 8 KB", len(path))
	}
	s.do(t, "GET", path, "").expect(t, 200)
	long := "/graphviz/svg/" + strings.Repeat("A", render.MaxURLBytes)
	r := s.do(t, "GET", long, "").expect(t, http.StatusRequestURITooLong)
	if !strings.Contains(string(r.body), "The request URI's length exceeds") {
		t.Errorf("414 body: %q", r.body)
	}
}

func TestDisabledType(t *testing.T) {
	s := newStack(t, func(o *config.Render) { o.EnabledTypes = map[string]bool{"graphviz": true} })
	s.do(t, "GET", "/graphviz/svg/"+enc(dot), "").expect(t, 200)
	r := s.do(t, "GET", "/plantuml/svg/"+enc("a -> b"), "").expect(t, 400)
	if !strings.Contains(string(r.body), "Diagram type plantuml is disabled on this server. To enable it, add it to ENABLED_TYPES") ||
		!strings.Contains(string(r.body), "KROKI_URL") {
		t.Errorf("the error does not say what to do: %q", r.body)
	}
	if s.kroki.calls.Load() != 1 {
		t.Error("Kroki was called for a disabled type")
	}
}

func TestSavedDiagrams(t *testing.T) {
	s := newStack(t)
	src := "@startuml\nAlice -> Bob: a diagram too long for a URL\n@enduml"
	body, _ := json.Marshal(map[string]any{"diagram_type": "plantuml", "diagram_source": src, "diagram_options": map[string]string{"theme": "cerulean"}})
	r := s.do(t, "POST", "/v1/diagrams", string(body), "Content-Type", "application/json").expect(t, http.StatusCreated)
	var saved struct {
		ID   string            `json:"id"`
		URLs map[string]string `json:"urls"`
	}
	if err := json.Unmarshal(r.body, &saved); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[A-Za-z0-9_-]{12}$`).MatchString(saved.ID) {
		t.Errorf("id %q is not a short URL-safe id", saved.ID)
	}
	if want := "/d/" + saved.ID + "/svg"; saved.URLs["svg"] != want || r.Header.Get("Location") != want {
		t.Errorf("urls: %v, Location %q; want svg at %s", saved.URLs, r.Header.Get("Location"), want)
	}
	again := s.do(t, "POST", "/v1/diagrams", string(body), "Content-Type", "application/json").expect(t, http.StatusCreated)
	if !bytes.Contains(again.body, []byte(saved.ID)) {
		t.Errorf("saving the same diagram again gave another id: %s", again.body)
	}
	s.do(t, "GET", "/d/"+saved.ID+"/svg", "").expect(t, 200)
	if got := s.kroki.lastSource(); got != src {
		t.Errorf("Kroki got %q, want the saved source", got)
	}
	if got := s.kroki.lastHeader().Get("Kroki-Diagram-Options-Theme"); got != "cerulean" {
		t.Errorf("saved option: got %q", got)
	}
	s.do(t, "GET", "/d/"+saved.ID+"/png", "").expect(t, 200)
	s.do(t, "GET", "/d/"+saved.ID+"/svg", "").expect(t, 200)
	if s.kroki.calls.Load() != 2 {
		t.Errorf("Kroki calls: got %d, want 2 (svg, png; the repeat is cached)", s.kroki.calls.Load())
	}
	s.do(t, "GET", "/d/"+saved.ID+"/jpeg-nope", "").expect(t, 400)
	s.do(t, "GET", "/d/AAAAAAAAAAAA/svg", "").expect(t, 404)
	s.do(t, "GET", "/d/not!valid/svg", "").expect(t, 404)
	for name, bad := range map[string]string{
		"unknown type": `{"diagram_type":"nope","diagram_source":"x"}`,
		"no source":    `{"diagram_type":"graphviz"}`,
		"no type":      `{"diagram_source":"x"}`,
		"not JSON":     `diagram`,
	} {
		if r := s.do(t, "POST", "/v1/diagrams", bad, "Content-Type", "application/json"); r.StatusCode != 400 {
			t.Errorf("%s: got %d, want 400", name, r.StatusCode)
		}
	}
	if n := countObjects(t, s, "diagrams/"); n != 1 {
		t.Errorf("saved objects: got %d, want 1", n)
	}
}

func TestHealthAndTypes(t *testing.T) {
	s := newStack(t, func(o *config.Render) {
		o.EnabledTypes = map[string]bool{"graphviz": true, "plantuml": true}
	})
	for _, p := range []string{"/health", "/v1/health", "/healthz"} {
		r := s.do(t, "GET", p, "").expect(t, 200)
		var h struct {
			Status string                       `json:"status"`
			Checks map[string][]json.RawMessage `json:"checks"`
		}
		if err := json.Unmarshal(r.body, &h); err != nil || h.Status != "pass" || len(h.Checks) != 2 {
			t.Errorf("%s: %s (%v)", p, r.body, err)
		}
		if r.Header.Get("Content-Type") != "application/health+json" || r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s headers: %v", p, r.Header)
		}
	}
	r := s.do(t, "GET", "/v1/types", "").expect(t, 200)
	var types struct {
		Types []struct {
			Name    string   `json:"name"`
			Aliases []string `json:"aliases"`
			Formats []string `json:"formats"`
			Enabled bool     `json:"enabled"`
		} `json:"types"`
	}
	if err := json.Unmarshal(r.body, &types); err != nil {
		t.Fatal(err)
	}
	if len(types.Types) != len(diagram.Types()) {
		t.Errorf("types: got %d, want %d", len(types.Types), len(diagram.Types()))
	}
	for _, ty := range types.Types {
		if want := ty.Name == "graphviz" || ty.Name == "plantuml"; ty.Enabled != want {
			t.Errorf("%s enabled: got %v, want %v", ty.Name, ty.Enabled, want)
		}
		if len(ty.Formats) == 0 {
			t.Errorf("%s: no formats", ty.Name)
		}
		if ty.Name == "graphviz" && (len(ty.Aliases) != 1 || strings.Join(ty.Formats, ",") != "png,svg,jpeg,pdf") {
			t.Errorf("graphviz: %+v", ty)
		}
	}
}

// TestRequestLogIsEMF: one log line per request, a valid Embedded Metric
// Format record carrying the request's figures and id, and no source.
func TestRequestLogIsEMF(t *testing.T) {
	s := newStack(t)
	s.do(t, "GET", "/graphviz/svg/"+enc(dot), "", "X-Request-Id", "req-123").expect(t, 200)
	s.do(t, "GET", "/graphviz/svg/"+enc(dot), "", "X-Request-Id", "req-124").expect(t, 200)
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s.logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		if m["msg"] == "request served" {
			lines = append(lines, m)
		}
	}
	if len(lines) != 2 {
		t.Fatalf("request lines: got %d, want 2", len(lines))
	}
	miss, hit := lines[0], lines[1]
	aws, ok := miss["_aws"].(map[string]any)
	if !ok {
		t.Fatalf("no _aws metadata: %v", miss)
	}
	if ts, ok := aws["Timestamp"].(float64); !ok || ts < 1.6e12 {
		t.Errorf("_aws.Timestamp: %v", aws["Timestamp"])
	}
	directives := aws["CloudWatchMetrics"].([]any)
	d := directives[0].(map[string]any)
	if d["Namespace"] != "UMLImagesTest" {
		t.Errorf("namespace: %v", d["Namespace"])
	}
	for _, dimSet := range d["Dimensions"].([]any) {
		for _, dim := range dimSet.([]any) {
			if _, ok := miss[dim.(string)]; !ok {
				t.Errorf("dimension %v has no value on the line", dim)
			}
		}
	}
	for _, m := range d["Metrics"].([]any) {
		name := m.(map[string]any)["Name"].(string)
		if _, ok := miss[name].(float64); !ok {
			t.Errorf("metric %s has no numeric value on the line", name)
		}
	}
	if miss["CacheMiss"] != 1.0 || miss["CacheHit"] != 0.0 || hit["CacheHit"] != 1.0 {
		t.Errorf("cache metrics: miss line %v/%v, hit line %v", miss["CacheMiss"], miss["CacheHit"], hit["CacheHit"])
	}
	if miss["BytesOut"].(float64) != float64(len(svgOf([]byte(dot)))) {
		t.Errorf("BytesOut: %v", miss["BytesOut"])
	}
	if miss["request_id"] != "req-123" || miss["route"] != "GET /{type}/{format}/{encoded}" || miss["status"] != 200.0 {
		t.Errorf("request fields: %v", miss)
	}
	if strings.Contains(s.logs.String(), "Hello") || strings.Contains(s.logs.String(), enc(dot)) {
		t.Error("the diagram source reached the log")
	}
}

// TestNoServerErrorForBadInput sends hostile and malformed requests; each
// must get a 4xx (or a success), never a 5xx.
func TestNoServerErrorForBadInput(t *testing.T) {
	s := newStack(t)
	cases := []struct{ method, path, body, ct string }{
		{"GET", "/graphviz/svg/" + strings.Repeat("_", 5000), "", ""},
		{"GET", "/plantuml/svg/~h" + "zz", "", ""},
		{"GET", "/plantuml/svg/~1", "", ""},
		{"GET", "/graphviz/svg/%00%ff", "", ""},
		{"GET", "/graphviz/svg/" + enc(dot) + "?" + strings.Repeat("a", 2000) + "=1", "", ""},
		{"GET", "/graphviz/svg/" + enc(dot) + "?theme=%0d%0aX-Evil:1", "", ""},
		{"POST", "/", `{"diagram_source":1}`, "application/json"},
		{"POST", "/", `{"diagram_source":"x","diagram_type":"graphviz","output_format":"svg","diagram_options":{"a":{"b":1}}}`, "application/json"},
		{"POST", "/", `[]`, "application/json"},
		{"POST", "/graphviz", dot, ""},
		{"POST", "/graphviz/svg", "\xff\xfe", "text/plain"},
		{"POST", "/graphviz/svg", `{"diagram_source":`, "application/json"},
		{"POST", "/v1/diagrams", `{"diagram_type":"graphviz","diagram_source":"x","diagram_options":[1]}`, "application/json"},
		{"GET", "/d/" + strings.Repeat("a", 43) + "/svg", "", ""},
		{"GET", "/renders/x", "", ""},
		{"HEAD", "/graphviz/svg/" + enc(dot), "", ""},
	}
	for _, c := range cases {
		r := s.do(t, c.method, c.path, c.body, "Content-Type", c.ct)
		if r.StatusCode >= 500 {
			t.Errorf("%s %.60s: got %d %q", c.method, c.path, r.StatusCode, r.body)
		}
	}
}

// FuzzHandler drives the whole API with arbitrary requests: against a
// healthy Kroki and S3, no input may produce a 5xx or a panic.
func FuzzHandler(f *testing.F) {
	f.Add("GET", "/graphviz/svg/"+enc(dot), "", "")
	f.Add("POST", "/graphviz/svg", dot, "text/plain")
	f.Add("POST", "/", `{"diagram_source":"a","diagram_type":"plantuml","output_format":"png"}`, "application/json")
	f.Add("POST", "/plantuml", "a -> b", "application/json")
	f.Add("GET", "/plantuml/svg/SyfFKj2rKt3CoKnELR1Io4ZDoSa70000", "", "")
	f.Add("POST", "/v1/diagrams", `{"diagram_type":"d2","diagram_source":"a->b"}`, "application/json")
	f.Add("GET", "/d/abcdefghijkl/svg", "", "")
	s := newStack(f)
	f.Fuzz(func(t *testing.T, method, path, body, contentType string) {
		req, err := http.NewRequest(method, "http://api"+path, strings.NewReader(body))
		if err != nil || !strings.HasPrefix(path, "/") {
			return
		}
		req.Header.Set("Content-Type", contentType)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%q %q (%q, %q): got %d %q", method, path, body, contentType, rec.Code, rec.Body.String())
		}
	})
}
