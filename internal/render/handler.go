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
		h.mux.HandleFunc(p, h.health)
	}
	h.mux.HandleFunc("GET /v1/types", h.types)
	h.mux.HandleFunc("POST /v1/diagrams", h.save)
	h.mux.HandleFunc("GET /d/{id}/{format}", h.renderSaved)
	h.mux.HandleFunc("GET /renders/{file}", h.object)
	h.mux.HandleFunc("POST /{$}", h.renderJSON)
	h.mux.HandleFunc("/{$}", h.notAllowed("POST", false))
	h.mux.HandleFunc("GET /{type}/{format}/{encoded}", h.renderGET)
	h.mux.HandleFunc("/{type}/{format}/{encoded}", h.notAllowed("GET, HEAD", true))
	h.mux.HandleFunc("POST /{type}/{format}", h.renderPOST)
	h.mux.HandleFunc("/{type}/{format}", h.notAllowed("POST", true))
	h.mux.HandleFunc("POST /{type}", h.renderPOST)
	h.mux.HandleFunc("/{type}", h.notAllowed("POST", false))
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, diagram.Errorf(diagram.ErrNotFound, "Not Found"))
	})
	return h
}

func (h *Handler) notAllowed(allow string, checkFormat bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if checkFormat {
			if _, _, err := h.resolve(r.PathValue("type"), r.PathValue("format")); err != nil {
				h.fail(w, r, err)
				return
			}
		}
		w.Header().Set("Allow", allow)
		h.fail(w, r, diagram.Errorf(errMethodNotAllowed, "Method Not Allowed"))
	}
}

// lookup finds a type by route name among the types the operator enabled.
func (h *Handler) lookup(route string) (diagram.Type, error) {
	t, err := diagram.LookupRoute(route)
	if err == nil && !h.o.EnabledTypes[t.Name] {
		err = diagram.Errorf(diagram.ErrDisabledType, "Diagram type %s is disabled on this server.", t.Name)
	}
	return t, err
}

// resolve checks a route name and format against Kroki's table and the
// operator's list of enabled types.
func (h *Handler) resolve(route, format string) (diagram.Type, diagram.Format, error) {
	t, err := h.lookup(route)
	if err != nil {
		return diagram.Type{}, "", err
	}
	f, err := diagram.ParseFormat(t, format)
	return t, f, err
}
