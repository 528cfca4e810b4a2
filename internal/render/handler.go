package render

import (
	"log/slog"
	"net/http"
	"runtime/debug"
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
}

// New builds the render API from its configuration, over an S3 client
// for the cache and an HTTP client for Kroki. The function's main, the dev
// stack, the benchmark and the tests all build it here.
func New(cfg config.Render, s3c *s3.Client, hc *http.Client, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	svc := NewService(kroki.New(cfg.KrokiURL, hc, cfg.MaxOutputBytes), cache.New(s3c, cfg.CacheBucket), ServiceOptions{
		RendererVersion: cfg.KrokiVersion,
		Timeout:         cfg.RenderTimeout,
		MemoryBytes:     cfg.MemoryCacheBytes,
		Logger:          log,
	})
	h := &Handler{svc: svc, cfg: cfg, version: version(), log: log, mux: http.NewServeMux(), now: time.Now,
		hot: newMemory(min(hotBytes, cfg.MemoryCacheBytes)),
		emf: obs.NewEMF(cfg.MetricsNamespace, []string{"Service"}, requestMetrics...)}
	for _, p := range []string{"GET /health", "GET /healthz", "GET /v1/health"} {
		h.route(p, h.health)
	}
	h.route("GET /v1/types", h.types)
	h.route("POST /v1/diagrams", h.save)
	h.route("GET /d/{id}/{format}", h.renderSaved)
	h.route("GET /renders/{file}", h.object)
	h.route("POST /{$}", h.renderJSON)
	h.route("/{$}", h.notAllowed("POST", false))
	h.route("GET /{type}/{format}/{encoded}", h.renderGET)
	h.route("/{type}/{format}/{encoded}", h.notAllowed("GET, HEAD", true))
	h.route("POST /{type}/{format}", h.renderPOST)
	h.route("/{type}/{format}", h.notAllowed("POST", true))
	h.route("POST /{type}", h.renderPOST)
	h.route("/{type}", h.notAllowed("POST", false))
	h.route("/", func(http.ResponseWriter, *http.Request) error {
		return diagram.Errorf(diagram.ErrNotFound, "Not Found")
	})
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

func (h *Handler) notAllowed(allow string, checkFormat bool) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if checkFormat {
			if _, _, err := h.resolve(r.PathValue("type"), r.PathValue("format")); err != nil {
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
