// Package stacktest runs the real local stack in-process for tests: the
// render API over the local Kroki-compatible renderer (real engines) and a
// versitygw bucket, each on its own loopback port.
package stacktest

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/umlimages/umlimages/internal/config"
	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/engine"
	"github.com/umlimages/umlimages/internal/render"
	"github.com/umlimages/umlimages/internal/testsupport/binpath"
	"github.com/umlimages/umlimages/internal/testsupport/devstack"
	"github.com/umlimages/umlimages/internal/testsupport/s3test"
)

// Stack is a running local stack.
type Stack struct {
	API      *httptest.Server // the render API
	Renderer *httptest.Server // the local renderer; Close() it to take Kroki down
	S3       *s3test.Server
	Bucket   string

	api, kroki http.Handler
}

// Stop stops every process of the stack (a region lost): the API and the
// renderer stop listening, the store stops; its data stays for Restart.
func (s *Stack) Stop() {
	s.API.Close()
	s.Renderer.Close()
	s.S3.Stop()
}

// Restart brings a stopped stack back on the same addresses and data.
func (s *Stack) Restart(t testing.TB) {
	t.Helper()
	s.S3.Restart(t)
	s.Renderer = serveOn(t, s.Renderer.Listener.Addr().String(), s.kroki)
	s.API = serveOn(t, s.API.Listener.Addr().String(), s.api)
}

// serveOn serves h on addr until the test ends.
func serveOn(t testing.TB, addr string, h http.Handler) *httptest.Server {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen again on %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// Options adjust a Stack.
type Options struct {
	// Engines replace or add local engines by canonical type.
	Engines map[string]engine.Engine
	// Timeout is the API's per-request deadline (default 60 s).
	Timeout time.Duration
	// OriginSecret locks the API as CloudFront's origin (see render).
	OriginSecret string
}

// Start runs a stack until the test ends. Missing local engines fail the
// test: `make engines` installs them.
func Start(t testing.TB, o Options) *Stack {
	t.Helper()
	local := engine.NewLocal(engine.Config{Timeout: 60 * time.Second, Self: RendererBinary(t), Scripts: Scripts(t)})
	t.Cleanup(func() { local.Close() })
	if len(local.Missing) > 0 {
		t.Fatalf("engines missing (run `make engines`): %v", local.Missing)
	}
	engines := local.Engines
	for name, e := range o.Engines {
		engines[name] = e
	}
	if o.Timeout == 0 {
		o.Timeout = 60 * time.Second
	}
	kh := engine.NewServer(engines, nil)
	renderer := httptest.NewServer(kh)
	t.Cleanup(renderer.Close)
	srv := s3test.Start(t)
	bucket := srv.Bucket(t, "stack")
	var names []string
	for name := range engines {
		t, _ := diagram.Lookup(name)
		names = append(names, t.Name)
	}
	cfg, err := config.LoadRender(func(k string) string {
		return map[string]string{
			config.EnvKrokiURL: renderer.URL, config.EnvCacheBucket: bucket, config.EnvKrokiVersion: "local",
			config.EnvEnabledTypes: strings.Join(names, ","), config.EnvMetricsNamespace: "Test", config.EnvOriginSecret: o.OriginSecret,
			config.EnvS3ForcePathStyle: "true",
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg.RenderTimeout = o.Timeout
	ah := render.New(cfg, srv.Client(t), &http.Client{}, nil)
	api := httptest.NewServer(ah)
	t.Cleanup(api.Close)
	return &Stack{API: api, Renderer: renderer, S3: srv, Bucket: bucket, api: ah, kroki: kh}
}

// LocalTypes are the types the local renderer draws.
func LocalTypes() []string { return engine.Types() }

// Scripts is the local renderer's Node and browser engines' folder.
func Scripts(t testing.TB) string {
	t.Helper()
	root, err := binpath.Root()
	if err != nil {
		t.Fatal(err)
	}
	return devstack.Scripts(root)
}

var renderer struct {
	once sync.Once
	path string
	err  error
}

// RendererBinary builds cmd/renderer (once per test binary) and returns its
// path: the local engines run D2 in it, as `make dev` does.
func RendererBinary(t testing.TB) string {
	t.Helper()
	renderer.once.Do(func() {
		root, err := binpath.Root()
		if err != nil {
			renderer.err = err
			return
		}
		renderer.path = filepath.Join(root, "build", "test", "renderer")
		// Build beside it and rename: test binaries build it at once.
		tmp := fmt.Sprintf("%s.%d", renderer.path, os.Getpid())
		build := exec.Command("go", "build", "-o", tmp, "./cmd/renderer")
		build.Dir = root
		if out, err := build.CombinedOutput(); err != nil {
			renderer.err = fmt.Errorf("build cmd/renderer: %v\n%s", err, out)
			return
		}
		renderer.err = os.Rename(tmp, renderer.path)
	})
	if renderer.err != nil {
		t.Fatal(renderer.err)
	}
	return renderer.path
}
