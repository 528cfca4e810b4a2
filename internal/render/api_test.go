package render_test

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/umlimages/umlimages/internal/config"
)

// TestRoutes: a path that is no route is 404; a route asked with a method
// it does not serve is 405 naming the methods it does (not a render of a
// type called "v1").
func TestRoutes(t *testing.T) {
	s := newStack(t)
	for _, c := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/", 404, ""},
		{"GET", "/foo", 404, ""},
		{"GET", "/favicon.ico", 404, ""},
		{"GET", "/foo/bar", 404, ""},
		{"HEAD", "/", 404, ""},
		{"GET", "/v1/diagrams", 405, "POST"},
		{"POST", "/health", 405, "GET, HEAD"},
		{"DELETE", "/v1/types", 405, "GET, HEAD"},
		{"PUT", "/renders/" + strings.Repeat("a", 64) + ".svg", 405, "GET, HEAD"},
		{"POST", "/d/AAAAAAAAAAAA/svg", 405, "GET, HEAD"},
		{"GET", "/graphviz", 405, "POST"},
	} {
		r := s.do(t, c.method, c.path, "")
		if r.StatusCode != c.status || r.Header.Get("Allow") != c.allow {
			t.Errorf("%s %s: %d Allow %q (%s); want %d Allow %q", c.method, c.path, r.StatusCode, r.Header.Get("Allow"), r.body, c.status, c.allow)
		}
	}
}

// TestDoubledSlashes: asciidoctor-kroki with a server URL ending in "/"
// asks for //graphviz/svg/...; it renders, with no redirect its XHR would
// not follow.
func TestDoubledSlashes(t *testing.T) {
	s := newStack(t)
	r := s.do(t, "GET", "//graphviz/svg/"+enc(dot), "").expect(t, 200)
	if r.Header.Get("Content-Type") != "image/svg+xml" {
		t.Errorf("Content-Type %q", r.Header.Get("Content-Type"))
	}
	s.do(t, "POST", "//graphviz///svg", dot).expect(t, 200)
}

// TestSavedDiagramWithoutFormat: /d/{id} serves the type's preferred
// format; an unknown id is 404.
func TestSavedDiagramWithoutFormat(t *testing.T) {
	s := newStack(t)
	for typ, want := range map[string]string{"graphviz": "image/svg+xml", "ditaa": "image/png"} {
		body, _ := json.Marshal(map[string]string{"diagram_type": typ, "diagram_source": "digraph { " + typ + " }"})
		r := s.do(t, "POST", "/v1/diagrams", string(body), "Content-Type", "application/json").expect(t, http.StatusCreated)
		var saved struct{ ID string }
		json.Unmarshal(r.body, &saved)
		got := s.do(t, "GET", "/d/"+saved.ID, "").expect(t, 200)
		if got.Header.Get("Content-Type") != want {
			t.Errorf("%s: /d/{id} is %s, want %s", typ, got.Header.Get("Content-Type"), want)
		}
	}
	s.do(t, "GET", "/d/AAAAAAAAAAAA", "").expect(t, 404)
}

// TestLinksComeFromConfiguration: a client's Host and X-Forwarded-*
// headers never make the links the API answers with.
func TestLinksComeFromConfiguration(t *testing.T) {
	body := `{"diagram_type":"graphviz","diagram_source":"digraph { links }"}`
	evil := []string{"Content-Type", "application/json", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "evil.test"}
	s := newStack(t)
	r := s.do(t, "POST", "/v1/diagrams", body, evil...).expect(t, http.StatusCreated)
	if loc := r.Header.Get("Location"); !strings.HasPrefix(loc, "/d/") {
		t.Errorf("without PUBLIC_BASE_URL: Location %q, want a relative link", loc)
	}
	const public = "https://diagrams.example.test"
	s = newStack(t, func(c *config.Render) { c.PublicBaseURL = public })
	r = s.do(t, "POST", "/v1/diagrams", body, evil...).expect(t, http.StatusCreated)
	if loc := r.Header.Get("Location"); !strings.HasPrefix(loc, public+"/d/") || strings.Contains(string(r.body), "evil") {
		t.Errorf("with PUBLIC_BASE_URL: Location %q, body %s", loc, r.body)
	}
}

// TestSlowBodyTimesOut: a client that sends its headers and then trickles
// (or stops sending) its body gets 408 at the request's deadline; the
// request is not held open.
func TestSlowBodyTimesOut(t *testing.T) {
	s := newStack(t, func(c *config.Render) { c.RenderTimeout = 300 * time.Millisecond })
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /graphviz/svg HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\ndigraph {")
	conn.SetReadDeadline(time.Now().Add(20 * time.Second)) // a guard: without the bound the server never answers
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body: %v", err)
	}
	if res.StatusCode != http.StatusRequestTimeout {
		t.Errorf("stalled body: %d, want 408", res.StatusCode)
	}
}

// TestErrorImageWrapsWords: an error shown as an image wraps its message
// at word boundaries, every line inside the box (a monospace character is
// at most 0.6 of the font size wide).
func TestErrorImageWrapsWords(t *testing.T) {
	s := newStack(t)
	r := s.do(t, "GET", "/nope/svg/"+enc(dot), "", "Accept", "image/*").expect(t, 400)
	var doc struct {
		Width int `xml:"width,attr"`
		Texts []struct {
			X      int    `xml:"x,attr"`
			Family string `xml:"font-family,attr"`
			Size   int    `xml:"font-size,attr"`
			Text   string `xml:",chardata"`
		} `xml:"text"`
	}
	if err := xml.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	var shown []string
	for _, l := range doc.Texts {
		if l.Family != "monospace" {
			continue
		}
		if right := float64(l.X) + 0.6*float64(l.Size*len([]rune(l.Text))); right > float64(doc.Width-l.X) {
			t.Errorf("line ends at %.0f px, past the box (%d px): %q", right, doc.Width, l.Text)
		}
		shown = append(shown, l.Text)
	}
	message := r.Header.Get("X-Diagram-Error")
	if len(shown) < 2 || strings.Join(shown, " ") != message {
		t.Errorf("lines %q do not wrap %q at its spaces", shown, message)
	}
}

// TestSavedDiagramSource: a saved diagram is read back as its type,
// source and options (the editor opens short links with it).
func TestSavedDiagramSource(t *testing.T) {
	s := newStack(t)
	r := s.do(t, "POST", "/v1/diagrams", `{"diagram_type":"dot","diagram_source":"digraph { read }","diagram_options":{"theme":"x"}}`, "Content-Type", "application/json").expect(t, http.StatusCreated)
	var saved struct{ ID string }
	json.Unmarshal(r.body, &saved)
	var got struct {
		Type    string            `json:"diagram_type"`
		Source  string            `json:"diagram_source"`
		Options map[string]string `json:"diagram_options"`
	}
	json.Unmarshal(s.do(t, "GET", "/v1/diagrams/"+saved.ID, "").expect(t, 200).body, &got)
	if got.Type != "graphviz" || got.Source != "digraph { read }" || got.Options["theme"] != "x" {
		t.Errorf("read back %+v", got)
	}
	s.do(t, "GET", "/v1/diagrams/AAAAAAAAAAAA", "").expect(t, 404)
	s.do(t, "DELETE", "/v1/diagrams/"+saved.ID, "").expect(t, 405)
}

// TestRequestLineReportsMemory: in Lambda (a memory size known), each
// request's EMF record carries the process's peak memory against it, the
// figure the render function's memory alarm watches.
func TestRequestLineReportsMemory(t *testing.T) {
	s := newStack(t, func(c *config.Render) { c.MemoryLimitMB = 4096 })
	s.do(t, "GET", "/health", "").expect(t, 200)
	var rec struct{ MemoryUsedPercent float64 }
	for _, line := range strings.Split(strings.TrimSpace(s.logs.String()), "\n") {
		if strings.Contains(line, `"request served"`) {
			json.Unmarshal([]byte(line), &rec)
		}
	}
	if rec.MemoryUsedPercent <= 0 || rec.MemoryUsedPercent > 100 {
		t.Errorf("MemoryUsedPercent %v, want a share of 4 GiB", rec.MemoryUsedPercent)
	}
}
