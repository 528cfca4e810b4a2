package render_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/umlimages/umlimages/internal/cache"
	"github.com/umlimages/umlimages/internal/config"
	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/obs"
	"github.com/umlimages/umlimages/internal/render"
	"github.com/umlimages/umlimages/internal/testsupport/s3test"
)

// fakeKroki is an httptest Kroki: it "renders" a source to an SVG naming
// the source's hash (a PNG for png, the text for txt), answers 400 like an
// engine for sources containing "syntax error", and big:N with N bytes.
type fakeKroki struct {
	*httptest.Server
	calls atomic.Int64
	gate  chan struct{} // when set, renders wait for it to close

	mu      sync.Mutex
	sources []string
	headers []http.Header
}

func newFakeKroki(t testing.TB) *fakeKroki {
	t.Helper()
	k := &fakeKroki{}
	k.Server = httptest.NewServer(http.HandlerFunc(k.serve))
	t.Cleanup(k.Close)
	return k
}

func (k *fakeKroki) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/health" {
		io.WriteString(w, `{"status":"pass"}`)
		return
	}
	if r.Method == http.MethodGet && strings.Count(r.URL.Path, "/") < 3 {
		http.NotFound(w, r) // as Kroki's router answers /capabilities: it has no such path
		return
	}
	k.calls.Add(1)
	if k.gate != nil {
		<-k.gate
	}
	src, _ := io.ReadAll(r.Body)
	k.mu.Lock()
	k.sources = append(k.sources, string(src))
	k.headers = append(k.headers, r.Header.Clone())
	k.mu.Unlock()
	if bytes.Contains(src, []byte("syntax error")) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, "Error: <stdin>: syntax error in line 2 near '->'")
		return
	}
	format := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	switch {
	case bytes.HasPrefix(src, []byte("empty:")):
		w.Header().Set("Content-Type", "image/svg+xml") // a success with no body, as PlantUML gave
	case bytes.HasPrefix(src, []byte("big:")):
		n, _ := strconv.Atoi(string(src[4:]))
		w.Write(svgOfSize(min(n, 16<<20)))
	case format == "png":
		w.Header().Set("Content-Type", "image/png")
		png.Encode(w, image.NewGray(image.Rect(0, 0, 2, 2)))
	case format == "txt":
		w.Write(src)
	default:
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Write(svgOf(src))
	}
}

func svgOf(src []byte) []byte {
	sum := sha256.Sum256(src)
	return []byte(`<svg xmlns="http://www.w3.org/2000/svg"><text>` + hex.EncodeToString(sum[:]) + `</text></svg>`)
}

func svgOfSize(n int) []byte {
	head, tail := `<svg xmlns="http://www.w3.org/2000/svg"><!--`, `--></svg>`
	return []byte(head + strings.Repeat("x", max(0, n-len(head)-len(tail))) + tail)
}

func (k *fakeKroki) lastSource() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.sources) == 0 {
		return ""
	}
	return k.sources[len(k.sources)-1]
}

func (k *fakeKroki) lastHeader() http.Header {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.headers) == 0 {
		return nil
	}
	return k.headers[len(k.headers)-1]
}

// stack is the render API over a fake Kroki and a real S3 server.
type stack struct {
	URL string
	http.Handler
	kroki *fakeKroki
	s3    *s3test.Server
	store *cache.Store
	logs  *logFile
	cfg   config.Render
}

// logFile collects a stack's log lines in a file, read while it serves.
type logFile struct{ *os.File }

func newLogFile(t testing.TB) *logFile {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "log.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return &logFile{f}
}

func (l *logFile) String() string {
	b, _ := os.ReadFile(l.Name())
	return string(b)
}

const testMaxSource = 64 << 10

func allTypes() map[string]bool {
	m := map[string]bool{}
	for _, t := range diagram.Types() {
		m[t.Name] = true
	}
	return m
}

func newStack(t testing.TB, tweak ...func(*config.Render)) *stack {
	t.Helper()
	k := newFakeKroki(t)
	srv := s3test.Start(t)
	return newStackOn(t, k.URL, k, srv, 0, tweak...)
}

// newStackOn builds the API over a given Kroki URL and S3 server, with an
// in-memory tier of memoryBytes (0: every hit comes from S3).
func newStackOn(t testing.TB, krokiURL string, k *fakeKroki, srv *s3test.Server, memoryBytes int, tweak ...func(*config.Render)) *stack {
	t.Helper()
	logs := newLogFile(t)
	s := newStackLogging(t, krokiURL, k, srv, memoryBytes, logs, tweak...)
	s.logs = logs
	return s
}

// newStackLogging is newStackOn with its log lines written to logs.
func newStackLogging(t testing.TB, krokiURL string, k *fakeKroki, srv *s3test.Server, memoryBytes int, logs io.Writer, tweak ...func(*config.Render)) *stack {
	t.Helper()
	bucket := srv.Bucket(t, "cache")
	cfg := config.Render{
		Runtime:          config.Runtime{MetricsNamespace: "UMLImagesTest"},
		KrokiURL:         krokiURL,
		KrokiVersion:     "0.32.1",
		CacheBucket:      bucket,
		MaxSourceBytes:   testMaxSource,
		MaxOutputBytes:   8 << 20,
		MemoryCacheBytes: memoryBytes,
		RenderTimeout:    10 * time.Second,
		EnabledTypes:     allTypes(),
	}
	for _, f := range tweak {
		f(&cfg)
	}
	h := render.New(cfg, srv.Client(t), &http.Client{}, obs.NewLogger(logs, slog.LevelInfo))
	api := httptest.NewServer(h)
	t.Cleanup(api.Close)
	return &stack{URL: api.URL, Handler: h, kroki: k, s3: srv, store: cache.New(srv.Client(t), bucket), cfg: cfg}
}

type response struct {
	*http.Response
	body []byte
}

func (s *stack) do(t *testing.T, method, path string, body string, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp, b}
}

func (r response) expect(t *testing.T, status int) response {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s %s: got %d (%s), want %d", r.Request.Method, r.Request.URL.Path, r.StatusCode, r.body, status)
	}
	return r
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func countObjects(t *testing.T, s *stack, prefix string) int {
	t.Helper()
	n := 0
	for _, key := range listKeys(t, s) {
		if strings.HasPrefix(key, prefix) {
			n++
		}
	}
	return n
}

func listKeys(t *testing.T, s *stack) []string {
	t.Helper()
	out, err := s.s3.Client(t).ListObjectsV2(context.Background(), listInput("cache"))
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, *o.Key)
	}
	return keys
}

func enc(src string) string { return diagram.Encode([]byte(src)) }

func listInput(bucket string) *s3.ListObjectsV2Input {
	return &s3.ListObjectsV2Input{Bucket: &bucket}
}
