package render

import (
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/umlimages/umlimages/internal/cache"
	"github.com/umlimages/umlimages/internal/config"
	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/kroki"
	"github.com/umlimages/umlimages/internal/obs"
)

// Handler is the HTTP API.
type Handler struct {
	svc     *Service
	cfg     config.Render
	version string
	log     *slog.Logger
	mux     *http.ServeMux
	emf     *obs.EMF
	now     func() time.Time
	hot     *memory
	caps    *drawable
}

// New builds the render API from its configuration, over an S3 client
// for the cache and an HTTP client for Kroki. The function's main, the dev
// stack, the benchmark and the tests all build it here.
func New(cfg config.Render, s3c *s3.Client, hc *http.Client, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	renderer := kroki.New(cfg.KrokiURL, hc, cfg.MaxOutputBytes)
	svc := NewService(renderer, cache.New(s3c, cfg.CacheBucket), ServiceOptions{
		RendererVersion: cfg.KrokiVersion,
		Timeout:         cfg.RenderTimeout,
		MemoryBytes:     cfg.MemoryCacheBytes,
		Logger:          log,
	})
	h := &Handler{svc: svc, cfg: cfg, version: version(), log: log, mux: http.NewServeMux(), now: time.Now,
		hot: newMemory(min(hotBytes, cfg.MemoryCacheBytes)), caps: &drawable{src: renderer, now: time.Now},
		emf: RequestRecord.EMF(cfg.MetricsNamespace)}
	for _, p := range []string{"/health", "/healthz", "/v1/health"} {
		h.route("GET "+p, h.health)
	}
	h.route("GET /v1/types", h.types)
	h.route("POST /v1/diagrams", h.save)
	h.route("GET /v1/diagrams/{id}", h.savedSource)
	h.route("GET /d/{id}", h.renderSaved)
	h.route("GET /d/{id}/{format}", h.renderSaved)
	h.route("GET /renders/{file}", h.object)
	h.route("POST /{$}", h.renderJSON)
	h.route("/{$}", h.typeRoute("POST"))
	h.route("GET /{type}/{format}/{encoded}", h.renderGET)
	h.route("/{type}/{format}/{encoded}", h.typeRoute("GET, HEAD"))
	h.route("POST /{type}/{format}", h.renderPOST)
	h.route("/{type}/{format}", h.typeRoute("POST"))
	h.route("POST /{type}", h.renderPOST)
	h.route("/{type}", h.typeRoute("POST"))
	h.route("/", func(http.ResponseWriter, *http.Request) error { return errNotFound })
	return h
}

// route serves pattern with a handler that returns its failure: fail,
// through the one table of statuses, is the only way errors are answered.
func (h *Handler) route(pattern string, f func(http.ResponseWriter, *http.Request) error) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := f(w, r); err != nil {
			h.fail(w, r, err)
		}
	})
}

var errNotFound = diagram.Errorf(diagram.ErrNotFound, "Not Found")

// resources are the API's own paths, matched before routing: their
// other methods are 405 with Allow, not renders of a type named "v1".
var resources = []struct {
	path     string // exact, or a prefix when it ends in "/"
	segments int
	allow    string
}{
	{"/health", 1, "GET, HEAD"}, {"/healthz", 1, "GET, HEAD"}, {"/v1/health", 2, "GET, HEAD"},
	{"/v1/types", 2, "GET, HEAD"}, {"/v1/diagrams", 2, "POST"}, {"/v1/diagrams/", 3, "GET, HEAD"},
	{"/d/", 2, "GET, HEAD"}, {"/d/", 3, "GET, HEAD"}, {"/renders/", 2, "GET, HEAD"},
}

// notAllowed is the Allow header of a resource path r's method is not one
// of; "" when r may go on to routing.
func notAllowed(r *http.Request) string {
	n := strings.Count(r.URL.Path, "/")
	for _, res := range resources {
		if n != res.segments || !(r.URL.Path == res.path || strings.HasSuffix(res.path, "/") && strings.HasPrefix(r.URL.Path, res.path)) {
			continue
		}
		if method := r.Method; method == res.allow || strings.HasPrefix(res.allow, "GET") && (method == http.MethodGet || method == http.MethodHead) {
			return ""
		}
		return res.allow
	}
	return ""
}

// typeRoute answers a render route's other methods: 405 with Allow where
// the path names a type (and a format it has), 404 where it names none (a
// path such as /favicon.ico is no diagram), and GET / is the API's root,
// which serves nothing.
func (h *Handler) typeRoute(allow string) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		route := r.PathValue("type")
		if route == "" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			return errNotFound
		}
		if route != "" {
			if _, known := diagram.Lookup(strings.ToLower(route)); !known {
				return errNotFound
			}
		}
		if f := r.PathValue("format"); f != "" {
			if _, _, err := h.resolve(route, f); err != nil {
				return err
			}
		}
		w.Header().Set("Allow", allow)
		return diagram.Errorf(errMethodNotAllowed, "Method Not Allowed")
	}
}

// version is the running binary's module version ("dev" when built from a
// work tree).
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
