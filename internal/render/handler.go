package render

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/obs"
)

// Limits of the HTTP API.
const (
	// DefaultMaxURLBytes accepts every request line CloudFront passes on
	// (8 KB) with room to spare.
	DefaultMaxURLBytes = 16 << 10
	healthTimeout      = 3 * time.Second
)

// HandlerOptions configure a Handler.
type HandlerOptions struct {
	MaxSourceBytes int
	// MaxInlineBytes is the largest render returned in the response body;
	// bigger ones are redirected to their object in the cache. 0: no limit.
	MaxInlineBytes int
	MaxURLBytes    int
	// Timeout is the per-request deadline.
	Timeout time.Duration
	// EnabledTypes holds the canonical names of the types served.
	EnabledTypes map[string]bool
	// PublicBaseURL is the service's public address, for absolute links
	// and redirects; empty: links are made from the request's Host.
	PublicBaseURL string
	// OriginSecret, when set, must come in config.OriginHeader: the
	// regional API then serves only what its CloudFront distribution (and
	// the probes) send.
	OriginSecret     string
	Version          string
	RendererVersion  string
	MetricsNamespace string
	Logger           *slog.Logger
}

// Handler is the HTTP API.
type Handler struct {
	svc *Service
	o   HandlerOptions
	log *slog.Logger
	mux *http.ServeMux
	emf *obs.EMF
	now func() time.Time
	hot *memory
}

// NewHandler returns the HTTP API over svc.
func NewHandler(svc *Service, o HandlerOptions) *Handler {
	if o.MaxURLBytes == 0 {
		o.MaxURLBytes = DefaultMaxURLBytes
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{svc: svc, o: o, log: o.Logger, mux: http.NewServeMux(), now: time.Now, hot: newMemory(min(hotBytes, svc.memory.budget)),
		emf: obs.NewEMF(o.MetricsNamespace, []string{"Service"}, requestMetrics...)}
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
