package render_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/umlimages/umlimages/internal/config"
	"github.com/umlimages/umlimages/internal/testsupport/s3test"
)

// TestIfNoneMatchAnyOnlyForARender: "*" is 304 only where the render
// exists; a syntax error is still its 400, a new diagram its 200.
func TestIfNoneMatchAnyOnlyForARender(t *testing.T) {
	s := newStack(t)
	star := []string{"If-None-Match", "*"}
	s.do(t, "GET", "/graphviz/svg/"+enc("digraph { syntax error }"), "", star...).expect(t, 400)
	fresh := "/graphviz/svg/" + enc("digraph { star }")
	s.do(t, "GET", fresh, "", star...).expect(t, 200)
	s.do(t, "GET", fresh, "", star...).expect(t, http.StatusNotModified)
	s.do(t, "POST", "/graphviz/svg", "digraph { posted }", star...).expect(t, 200)
}

// TestSavedDiagramsWithS3Down: saving and reading saved diagrams need the
// store: 503 with Retry-After while it is down, never a 500.
func TestSavedDiagramsWithS3Down(t *testing.T) {
	s := newStack(t)
	saved := s.do(t, "POST", "/v1/diagrams", `{"diagram_type":"graphviz","diagram_source":"digraph { kept }"}`, "Content-Type", "application/json").expect(t, http.StatusCreated)
	loc := saved.Header.Get("Location")
	s.s3.Stop()
	for _, r := range []response{
		s.do(t, "POST", "/v1/diagrams", `{"diagram_type":"graphviz","diagram_source":"digraph { new }"}`, "Content-Type", "application/json"),
		s.do(t, "GET", loc, ""),
	} {
		if r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" || !strings.Contains(string(r.body), "store is unavailable") {
			t.Errorf("%s %s with S3 down: %d Retry-After %q: %s", r.Request.Method, r.Request.URL.Path, r.StatusCode, r.Header.Get("Retry-After"), r.body)
		}
	}
	s.s3.Restart(t)
	s.do(t, "GET", loc, "").expect(t, 200)
}

// TestOversizeRenderStoredWhenS3Returns: a render too big to answer inline
// made while S3 is down is 503 (not a 413 that would stay), and once S3 is
// back the same request is stored and redirected to.
func TestOversizeRenderStoredWhenS3Returns(t *testing.T) {
	s := newStackOn(t, newFakeKroki(t).URL, nil, s3test.Start(t), 1<<20, func(c *config.Render) { c.MaxInlineBytes = 1000 })
	path := "/graphviz/svg/" + enc("big:5000")
	s.s3.Stop()
	if r := s.do(t, "GET", path, ""); r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
		t.Fatalf("S3 down: %d %v", r.StatusCode, r.Header)
	}
	s.s3.Restart(t)
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := s.do(t, "GET", path, "")
		if r.StatusCode == http.StatusFound {
			break
		}
		if r.StatusCode != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("S3 back: %d %s", r.StatusCode, r.body)
		}
		time.Sleep(500 * time.Millisecond) // the store is offered the render again every few seconds
	}
}

// hanging is a renderer that answers nothing, health checks included,
// until released.
func hanging(t *testing.T) (url string, release func()) {
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-done:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	var once bool
	return srv.URL, func() {
		if !once {
			once = true
			close(done)
		}
	}
}

// TestRendererKnownDownFailsMissesFast: once a health check found the
// renderer hanging, misses are 503 with Retry-After at once (not held to
// the render deadline, a 504), hits are served, and the next good check
// lets misses through again.
func TestRendererKnownDownFailsMissesFast(t *testing.T) {
	k := newFakeKroki(t)
	srv := s3test.Start(t)
	up := newStackOn(t, k.URL, k, srv, 0)
	cached := "/graphviz/svg/" + enc(dot)
	up.do(t, "GET", cached, "").expect(t, 200)

	url, release := hanging(t)
	t.Cleanup(release)
	s := newStackOn(t, url, k, srv, 0, func(c *config.Render) { c.RenderTimeout = 20 * time.Second })
	s.do(t, "GET", "/health", "").expect(t, http.StatusServiceUnavailable)
	miss := s.do(t, "GET", "/graphviz/svg/"+enc("digraph { waits }"), "")
	if miss.StatusCode != http.StatusServiceUnavailable || miss.Header.Get("Retry-After") == "" {
		t.Errorf("miss with the renderer known down: %d Retry-After %q: %s", miss.StatusCode, miss.Header.Get("Retry-After"), miss.body)
	}
	s.do(t, "GET", cached, "").expect(t, 200)
	release()
	s.do(t, "GET", "/health", "").expect(t, 200)
	if r := s.do(t, "GET", "/graphviz/svg/"+enc("digraph { waits }"), ""); r.StatusCode == http.StatusServiceUnavailable {
		t.Errorf("after a good check: %d %s", r.StatusCode, r.body)
	}
}
