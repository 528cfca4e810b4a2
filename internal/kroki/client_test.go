package kroki_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/engine"
	"github.com/umlimages/umlimages/internal/kroki"
)

func request(t *testing.T, route string, f diagram.Format, src string, opts diagram.Options) diagram.Request {
	t.Helper()
	ty, ok := diagram.Lookup(route)
	if !ok {
		t.Fatalf("no type %s", route)
	}
	return diagram.Request{Type: ty, Format: f, Source: []byte(src), Options: opts}
}

func client(url string, maxOutput int) *kroki.Client {
	return kroki.New(url, &http.Client{}, maxOutput)
}

var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")

func TestRenderSuccess(t *testing.T) {
	var got *http.Request
	var gotBody []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		gotBody, _ = io.ReadAll(r.Body)
		if strings.HasSuffix(r.URL.Path, "/png") {
			w.Header().Set("Content-Type", "image/png")
			w.Write(pngBytes)
			return
		}
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Write([]byte("<svg/>"))
	}))
	defer srv.Close()
	c := client(srv.URL+"/", 1<<20)

	body, err := c.Render(context.Background(), request(t, "dot", diagram.SVG, "digraph{a}", diagram.Options{"theme": "dark"}))
	if err != nil || string(body) != "<svg/>" {
		t.Fatalf("svg: got %q, %v", body, err)
	}
	if got.Method != http.MethodPost || got.URL.Path != "/graphviz/svg" {
		t.Errorf("request: got %s %s, want POST /graphviz/svg", got.Method, got.URL.Path)
	}
	if string(gotBody) != "digraph{a}" || !strings.HasPrefix(got.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("body: got %q (%s), want the source as text", gotBody, got.Header.Get("Content-Type"))
	}
	if a := got.Header.Get("Accept"); a != "application/json" {
		t.Errorf("Accept: got %q, want application/json (errors as JSON)", a)
	}
	if v := got.Header.Get("Kroki-Diagram-Options-Theme"); v != "dark" {
		t.Errorf("option header: got %q, want dark", v)
	}

	body, err = c.Render(context.Background(), request(t, "graphviz", diagram.PNG, "digraph{a}", nil))
	if err != nil || !bytes.Equal(body, pngBytes) {
		t.Fatalf("png: got %q, %v", body, err)
	}
}

func TestRenderErrors(t *testing.T) {
	cases := []struct {
		name    string
		status  int
		body    string
		want    error
		message string
		line    int
	}{
		{"syntax error as text", 400, "Error: <stdin>: syntax error in line 2 near '}'", nil, "Error: <stdin>: syntax error in line 2 near '}'", 2},
		{"syntax error as JSON", 400, `{"error":{"code":400,"message":"Parse error on line 4:\n..."}}`, nil, "Parse error on line 4:\n...", 4},
		{"plantuml style", 400, "Syntax Error? (line: 3)", nil, "Syntax Error? (line: 3)", 3},
		{"no line", 400, "Empty diagram, missing delimiters?", nil, "Empty diagram, missing delimiters?", 0},
		{"Kroki text wording", 400, "Error 400: Syntax Error? (line: 2)", nil, "Syntax Error? (line: 2)", 2},
		{"server error", 500, "java.lang.NullPointerException at ...", diagram.ErrUnavailable, "", 0},
		{"unavailable", 503, "companion down", diagram.ErrUnavailable, "", 0},
		{"gateway timeout", 504, "", diagram.ErrTimeout, "", 0},
		{"too large", 413, "", diagram.ErrTooLarge, "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(c.status)
				io.WriteString(w, c.body)
			}))
			defer srv.Close()
			_, err := client(srv.URL, 1<<20).Render(context.Background(), request(t, "graphviz", diagram.SVG, "x", nil))
			if c.want != nil {
				if !errors.Is(err, c.want) {
					t.Fatalf("got %v, want %v", err, c.want)
				}
				return
			}
			var se *diagram.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("got %v, want a *diagram.SyntaxError", err)
			}
			if se.Message != c.message || se.Line != c.line || se.Status != c.status {
				t.Errorf("got %q line %d status %d, want %q line %d status %d", se.Message, se.Line, se.Status, c.message, c.line, c.status)
			}
		})
	}
}

func TestRenderConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = client("http://"+addr, 1<<20).Render(context.Background(), request(t, "graphviz", diagram.SVG, "x", nil))
	if !errors.Is(err, diagram.ErrUnavailable) {
		t.Fatalf("got %v, want ErrUnavailable", err)
	}
}

func TestRenderDeadline(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := client(srv.URL, 1<<20).Render(ctx, request(t, "graphviz", diagram.SVG, "x", nil))
	if !errors.Is(err, diagram.ErrTimeout) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
}

func TestRenderOversizedBody(t *testing.T) {
	const max = 1000
	for _, n := range []int{max - 1, max, max + 1} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write(bytes.Repeat([]byte("x"), n))
		}))
		body, err := client(srv.URL, max).Render(context.Background(), request(t, "graphviz", diagram.SVG, "x", nil))
		srv.Close()
		if n > max {
			if !errors.Is(err, diagram.ErrOutputTooLarge) {
				t.Errorf("%d bytes: got %v, want ErrOutputTooLarge", n, err)
			}
			continue
		}
		if err != nil || len(body) != n {
			t.Errorf("%d bytes: got %d, %v", n, len(body), err)
		}
	}
}

func TestHealth(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, `{"status":"pass"}`)
	}))
	defer up.Close()
	if err := client(up.URL, 0).Health(context.Background()); err != nil {
		t.Errorf("healthy server: %v", err)
	}
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()
	if err := client(down.URL, 0).Health(context.Background()); !errors.Is(err, diagram.ErrUnavailable) {
		t.Errorf("503 server: got %v, want ErrUnavailable", err)
	}
}

func TestLine(t *testing.T) {
	cases := map[string]int{
		"Error: <stdin>: syntax error in line 12 near 'x'": 12,
		"Parse error on line 4:":                           4,
		"Syntax Error? (line: 7)":                          7,
		"line 0":                                           0,
		"no number here":                                   0,
		"Error line 3 in file: foo":                        3,
		"pipeline 5":                                       0,
		"1:9: maps must be terminated with }":              1,
		"input.d2:12:3: connection missing destination":    12,
		"at 10:30: lunch":                                  0,
	}
	for msg, want := range cases {
		if got := kroki.Line(msg); got != want {
			t.Errorf("Line(%q) = %d, want %d", msg, got, want)
		}
	}
}

// drawsSVG is an engine that draws nothing, for the local renderer's
// capabilities.
type drawsSVG struct{}

func (drawsSVG) Formats() []diagram.Format { return []diagram.Format{diagram.SVG} }
func (drawsSVG) Options() []string         { return []string{"theme"} }
func (drawsSVG) Version() string           { return "test" }
func (drawsSVG) Render(context.Context, diagram.Format, []byte, diagram.Options) ([]byte, error) {
	return nil, nil
}

// TestCapabilities: the local renderer's list is read as it publishes it;
// a Kroki (its router answers 404 or 405 for the path) draws the table;
// a failing server is an error, not the table.
func TestCapabilities(t *testing.T) {
	local := httptest.NewServer(engine.NewServer(map[string]engine.Engine{"mermaid": drawsSVG{}}, nil))
	defer local.Close()
	caps, ok, err := client(local.URL, 0).Capabilities(context.Background())
	if err != nil || !ok || len(caps) != 1 || caps[0].Name != "mermaid" || caps[0].Formats[0] != diagram.SVG || caps[0].Options[0] != "theme" {
		t.Errorf("local renderer: %+v, %t, %v", caps, ok, err)
	}
	for _, status := range []int{http.StatusNotFound, http.StatusMethodNotAllowed} {
		kroki := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(status) }))
		caps, ok, err := client(kroki.URL, 0).Capabilities(context.Background())
		kroki.Close()
		if err != nil || ok || caps != nil {
			t.Errorf("Kroki answering %d: %+v, %t, %v; want the whole table", status, caps, ok, err)
		}
	}
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) }))
	defer broken.Close()
	if _, _, err := client(broken.URL, 0).Capabilities(context.Background()); !errors.Is(err, diagram.ErrUnavailable) {
		t.Errorf("502: %v, want ErrUnavailable", err)
	}
}
