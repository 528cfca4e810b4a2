package render_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/umlimages/umlimages/internal/config"
	"github.com/umlimages/umlimages/internal/testsupport/s3test"
)

func TestRepeatedGETServedFromCache(t *testing.T) {
	s := newStack(t)
	path := "/graphviz/svg/" + enc(dot)
	first := s.do(t, "GET", path, "").expect(t, 200)
	second := s.do(t, "GET", path, "").expect(t, 200)
	if got := s.kroki.calls.Load(); got != 1 {
		t.Errorf("Kroki calls: got %d, want 1", got)
	}
	if !strings.HasPrefix(second.Header.Get("Server-Timing"), "store;") {
		t.Errorf("Server-Timing of the repeat: got %q, want the store tier", second.Header.Get("Server-Timing"))
	}
	if first.Header.Get("X-Cache") != "miss" || second.Header.Get("X-Cache") != "hit" {
		t.Errorf("X-Cache: got %q then %q, want miss then hit", first.Header.Get("X-Cache"), second.Header.Get("X-Cache"))
	}
	if string(first.body) != string(second.body) || first.Header.Get("ETag") != second.Header.Get("ETag") {
		t.Error("the cached render differs from the first")
	}
	// A POST of the same diagram is the same key.
	s.do(t, "POST", "/graphviz/svg", "\n"+dot+"\n").expect(t, 200)
	if got := s.kroki.calls.Load(); got != 1 {
		t.Errorf("Kroki calls after the same diagram by POST: got %d, want 1", got)
	}
	if n := countObjects(t, s, "renders/"); n != 1 {
		t.Errorf("renders stored: got %d, want 1", n)
	}
}

// TestMemoryTier: a warm process serves repeated renders from memory, also
// while S3 is down; a new process (a cold Lambda) finds them in S3.
func TestMemoryTier(t *testing.T) {
	k := newFakeKroki(t)
	srv := s3test.Start(t)
	warm := newStackOn(t, k.URL, k, srv, 1<<20)
	path := "/graphviz/svg/" + enc(dot)
	warm.do(t, "GET", path, "").expect(t, 200)
	srv.Stop()
	r := warm.do(t, "GET", path, "").expect(t, 200)
	if r.Header.Get("X-Cache") != "hit" || !strings.HasPrefix(r.Header.Get("Server-Timing"), "memory;dur=") {
		t.Errorf("warm repeat with S3 down: X-Cache %q, Server-Timing %q", r.Header.Get("X-Cache"), r.Header.Get("Server-Timing"))
	}
	srv.Restart(t)
	cold := newStackOn(t, k.URL, k, srv, 1<<20)
	r = cold.do(t, "GET", path, "").expect(t, 200)
	if !strings.HasPrefix(r.Header.Get("Server-Timing"), "store;dur=") {
		t.Errorf("cold process: Server-Timing %q, want store", r.Header.Get("Server-Timing"))
	}
	if got := k.calls.Load(); got != 1 {
		t.Errorf("Kroki calls: got %d, want 1", got)
	}
}

func TestETagNotModified(t *testing.T) {
	s := newStack(t)
	path := "/graphviz/svg/" + enc(dot)
	etag := s.do(t, "GET", path, "").expect(t, 200).Header.Get("ETag")
	calls := s.kroki.calls.Load()
	for _, inm := range []string{etag, `"other", ` + etag, "W/" + etag, "*"} {
		r := s.do(t, "GET", path, "", "If-None-Match", inm).expect(t, http.StatusNotModified)
		if len(r.body) != 0 || r.Header.Get("ETag") != etag {
			t.Errorf("If-None-Match %s: body %q, ETag %q", inm, r.body, r.Header.Get("ETag"))
		}
	}
	s.do(t, "GET", path, "", "If-None-Match", `"stale"`).expect(t, 200)
	if got := s.kroki.calls.Load(); got != calls {
		t.Errorf("Kroki calls during revalidation: got %d, want %d", got-calls, 0)
	}
}

func TestRendersWithS3Stopped(t *testing.T) {
	s := newStack(t)
	s.s3.Stop()
	for i := range 2 {
		r := s.do(t, "GET", "/graphviz/svg/"+enc(dot), "").expect(t, 200)
		if r.Header.Get("X-Cache") != "miss" {
			t.Errorf("request %d: X-Cache %q, want miss", i, r.Header.Get("X-Cache"))
		}
	}
	if got := s.kroki.calls.Load(); got != 2 {
		t.Errorf("Kroki calls: got %d, want 2 (no cache)", got)
	}
	if !strings.Contains(s.logs.String(), "cache write failed") {
		t.Error("the cache failure was not logged")
	}
	h := s.do(t, "GET", "/health", "").expect(t, 200)
	if !strings.Contains(string(h.body), `"status":"warn"`) {
		t.Errorf("health with S3 down: %s", h.body)
	}
}

func TestKrokiDown(t *testing.T) {
	k := newFakeKroki(t)
	srv := newStack(t).s3 // a running S3 server
	up := newStackOn(t, k.URL, k, srv, 0)
	cached := "/graphviz/svg/" + enc(dot)
	up.do(t, "GET", cached, "").expect(t, 200)

	// The same bucket, with Kroki gone: nothing listens at its address.
	down := newStackOn(t, "http://"+closedAddr(t), k, srv, 0)
	r := down.do(t, "GET", cached, "").expect(t, 200)
	if r.Header.Get("X-Cache") != "hit" {
		t.Errorf("cached key with Kroki down: X-Cache %q, want hit", r.Header.Get("X-Cache"))
	}
	miss := down.do(t, "GET", "/graphviz/svg/"+enc("digraph { new }"), "").expect(t, http.StatusServiceUnavailable)
	if miss.Header.Get("Retry-After") == "" || miss.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("503 headers: %v", miss.Header)
	}
	if strings.Contains(string(miss.body), "127.0.0.1") || strings.Contains(string(miss.body), "refused") {
		t.Errorf("the 503 body leaks internals: %q", miss.body)
	}
	h := down.do(t, "GET", "/health", "").expect(t, http.StatusServiceUnavailable)
	if h.Header.Get("Content-Type") != "application/health+json" || !strings.Contains(string(h.body), `"status":"fail"`) {
		t.Errorf("health with Kroki down: %s %s", h.Header.Get("Content-Type"), h.body)
	}
}

func TestKrokiHangingHitsDeadline(t *testing.T) {
	s := newStack(t, func(o *config.Render) { o.RenderTimeout = 200 * time.Millisecond })
	s.kroki.gate = make(chan struct{})
	defer close(s.kroki.gate)
	r := s.do(t, "GET", "/graphviz/svg/"+enc(dot), "").expect(t, http.StatusGatewayTimeout)
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("504 Cache-Control: %q", r.Header.Get("Cache-Control"))
	}
}

func TestConcurrentMissesCoalesce(t *testing.T) {
	s := newStack(t)
	s.kroki.gate = make(chan struct{})
	const n = 100
	path := "/graphviz/svg/" + enc("digraph { coalesce }")
	var wg sync.WaitGroup
	statuses := make(chan int, n)
	for range n {
		wg.Go(func() {
			resp, err := http.Get(s.URL + path)
			if err != nil {
				statuses <- 0
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		})
	}
	// Hold the one render until every request has missed the cache and
	// joined it (the cache miss is logged nowhere, so wait on Kroki's
	// first call, then give the rest time to queue behind it).
	for s.kroki.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(time.Second)
	close(s.kroki.gate)
	wg.Wait()
	close(statuses)
	for st := range statuses {
		if st != 200 {
			t.Errorf("a request got %d", st)
		}
	}
	if got := s.kroki.calls.Load(); got != 1 {
		t.Errorf("Kroki calls for %d concurrent identical misses: got %d, want 1", n, got)
	}
}

func TestKrokiErrorNeverCached(t *testing.T) {
	s := newStack(t)
	path := "/graphviz/svg/" + enc("digraph {\n a -> syntax error\n}")
	s.do(t, "GET", path, "").expect(t, 400)
	s.do(t, "GET", path, "").expect(t, 400)
	if got := s.kroki.calls.Load(); got != 2 {
		t.Errorf("Kroki calls: got %d, want 2 (errors are not cached)", got)
	}
	if keys := listKeys(t, s); len(keys) != 0 {
		t.Errorf("objects stored after errors: %v", keys)
	}
}

// TestEmptyRenderNeverCached: a renderer's 200 with no body is a diagram
// error, and it is rendered again next time.
func TestEmptyRenderNeverCached(t *testing.T) {
	s := newStack(t)
	path := "/graphviz/svg/" + enc("empty: digraph {}")
	for i := range 2 {
		r := s.do(t, "GET", path, "").expect(t, 400)
		if r.Header.Get("X-Cache") != "miss" || r.Header.Get("X-Diagram-Error") == "" {
			t.Errorf("request %d: X-Cache %q, X-Diagram-Error %q; want a miss with the error", i, r.Header.Get("X-Cache"), r.Header.Get("X-Diagram-Error"))
		}
	}
	if got := s.kroki.calls.Load(); got != 2 {
		t.Errorf("Kroki calls: got %d, want 2 (an empty render is not cached)", got)
	}
	if keys := listKeys(t, s); len(keys) != 0 {
		t.Errorf("objects stored after empty renders: %v", keys)
	}
}

func TestOversizeRedirect(t *testing.T) {
	const public = "https://diagrams.example.test"
	s := newStack(t, func(o *config.Render) { o.MaxInlineBytes, o.PublicBaseURL = 1000, public })
	small := s.do(t, "GET", "/graphviz/svg/"+enc("big:1000"), "").expect(t, 200)
	if len(small.body) != 1000 {
		t.Fatalf("at the limit: got %d bytes inline, want 1000", len(small.body))
	}
	r := s.do(t, "GET", "/graphviz/svg/"+enc("big:1001"), "").expect(t, http.StatusFound)
	loc := r.Header.Get("Location")
	if !strings.HasPrefix(loc, public+"/renders/") || !strings.HasSuffix(loc, ".svg") {
		t.Fatalf("Location: got %q", loc)
	}
	obj := s.do(t, "GET", strings.TrimPrefix(loc, public), "").expect(t, 200)
	if len(obj.body) != 1001 || obj.Header.Get("Content-Type") != "image/svg+xml" {
		t.Errorf("redirect target: %d bytes, %s", len(obj.body), obj.Header.Get("Content-Type"))
	}
	post := s.do(t, "POST", "/graphviz/svg", "big:2000").expect(t, http.StatusSeeOther)
	if !strings.Contains(post.Header.Get("Location"), "/renders/") {
		t.Errorf("POST redirect: %q", post.Header.Get("Location"))
	}
	s.do(t, "GET", "/renders/"+strings.Repeat("0", 64)+".svg", "").expect(t, 404)
	s.do(t, "GET", "/renders/..%2Fdiagrams%2Fx.json", "").expect(t, 404)
}

func TestStoredMetadata(t *testing.T) {
	s := newStack(t)
	r := s.do(t, "GET", "/graphviz/svg/"+enc(dot), "").expect(t, 200)
	key := strings.Trim(r.Header.Get("ETag"), `"`)
	want := fmt.Sprintf("renders/%s.svg", key)
	if keys := listKeys(t, s); len(keys) != 1 || keys[0] != want {
		t.Errorf("stored keys: got %v, want [%s]", keys, want)
	}
}

// TestHotTierKeepsRequestsApart: repeated GETs are served from the raw
// request's fingerprint, and requests differing only in an option header
// or the query are different responses; If-None-Match still answers 304.
func TestHotTierKeepsRequestsApart(t *testing.T) {
	k := newFakeKroki(t)
	s := newStackOn(t, k.URL, k, s3test.Start(t), 1<<20)
	path := "/plantuml/svg/" + enc("@startuml\nA -> B\n@enduml")
	a := s.do(t, "GET", path, "", "Kroki-Diagram-Options-Theme", "dark").expect(t, 200)
	b := s.do(t, "GET", path, "", "Kroki-Diagram-Options-Theme", "light").expect(t, 200)
	c := s.do(t, "GET", path+"?theme=dark&scale=2", "").expect(t, 200)
	if a.Header.Get("ETag") == b.Header.Get("ETag") || a.Header.Get("ETag") == c.Header.Get("ETag") {
		t.Fatalf("different options share an ETag: %s %s %s", a.Header.Get("ETag"), b.Header.Get("ETag"), c.Header.Get("ETag"))
	}
	calls := k.calls.Load()
	for _, want := range []struct {
		r       response
		headers []string
		query   string
	}{{a, []string{"Kroki-Diagram-Options-Theme", "dark"}, ""}, {b, []string{"Kroki-Diagram-Options-Theme", "light"}, ""}, {c, nil, "?scale=2&theme=dark"}} {
		again := s.do(t, "GET", path+want.query, "", want.headers...).expect(t, 200)
		if again.Header.Get("ETag") != want.r.Header.Get("ETag") || string(again.body) != string(want.r.body) || again.Header.Get("X-Cache") != "hit" {
			t.Errorf("repeat %v%s: ETag %s, want %s", want.headers, want.query, again.Header.Get("ETag"), want.r.Header.Get("ETag"))
		}
		s.do(t, "GET", path+want.query, "", append(want.headers, "If-None-Match", want.r.Header.Get("ETag"))...).expect(t, http.StatusNotModified)
	}
	if got := k.calls.Load(); got != calls {
		t.Errorf("repeats called Kroki %d more times", got-calls)
	}
}
