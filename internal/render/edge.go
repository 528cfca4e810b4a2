package render

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/umlimages/umlimages/internal/config"
	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/obs"
)

// MaxURLBytes is the longest request URI served: every request line
// CloudFront passes on (8 KB), with room to spare.
const MaxURLBytes = 16 << 10

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

// edgeHeaders go on every response. Header values are shared, never
// changed in place: http.Header's Add appends to a full slice, so it copies.
var edgeHeaders = fields{
	{"X-Content-Type-Options", []string{"nosniff"}},
	{"Access-Control-Allow-Origin", []string{"*"}},
	{"Access-Control-Expose-Headers", []string{"ETag, Location, X-Cache, X-Diagram-Error, X-Diagram-Error-Line, X-Request-Id"}},
}

// hotRoute is the route a hot-tier hit is logged under: the one that
// filled the tier.
const hotRoute = "GET /{type}/{format}/{encoded}"

// ServeHTTP is the edge: request id, deadline, limits, CORS, the common
// security headers, panics, and one log line (an EMF record) per request.
// A repeated GET is answered from the hot tier here, before routing.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.now()
	if strings.Contains(r.URL.Path, "//") {
		r = mergeSlashes(r)
	}
	id := obs.RequestID(r.Context())
	if id == "" {
		if id = r.Header.Get("X-Request-Id"); !requestIDPattern.MatchString(id) {
			id = obs.NewRequestID()
		}
	}
	rc := &requestContext{Request: obs.Request{Context: r.Context(), ID: id}}
	rc.rec = recorder{ResponseWriter: w, info: &rc.info}
	ri, rec := &rc.info, &rc.rec
	hdr := w.Header()
	hdr["X-Request-Id"] = []string{id}
	edgeHeaders.setMissing(hdr)
	defer func() {
		if p := recover(); p != nil {
			h.log.ErrorContext(rc, "panic serving request", "panic", fmt.Sprint(p))
			if ri.status == 0 {
				h.fail(rec, r.WithContext(rc), fmt.Errorf("panic: %v", p))
			}
		}
		h.logRequest(rc, r.Method, ri, h.now().Sub(start))
	}()
	switch {
	case h.cfg.OriginSecret != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get(config.OriginHeader)), []byte(h.cfg.OriginSecret)) != 1:
		h.fail(rec, r.WithContext(rc), diagram.Errorf(errNotThroughEdge, "This endpoint serves its CloudFront distribution only; use the service's public address."))
	case r.Method == http.MethodOptions:
		h.preflight(rec, r)
	case len(r.URL.RequestURI()) > MaxURLBytes:
		h.fail(rec, r.WithContext(rc), diagram.Errorf(errURITooLong, "The request URI's length exceeds %d.", MaxURLBytes))
	case r.Method == http.MethodGet && h.serveHot(rec, r, ri):
		ri.route = hotRoute
	case notAllowed(r) != "":
		rec.Header().Set("Allow", notAllowed(r))
		h.fail(rec, r.WithContext(rc), diagram.Errorf(errMethodNotAllowed, "Method Not Allowed"))
	default:
		dctx, cancel := context.WithTimeout(rc, h.cfg.RenderTimeout)
		defer cancel()
		r = r.WithContext(dctx)
		h.mux.ServeHTTP(rec, r)
		ri.route = r.Pattern
	}
}

// mergeSlashes makes runs of slashes one, as a client whose server URL
// ends in "/" sends them (asciidoctor-kroki: //graphviz/svg/...): routed,
// not redirected, since an XHR does not follow the mux's redirect.
func mergeSlashes(r *http.Request) *http.Request {
	u := *r.URL
	u.Path, u.RawPath = slashes.ReplaceAllString(u.Path, "/"), slashes.ReplaceAllString(u.RawPath, "/")
	r = r.WithContext(r.Context())
	r.URL = &u
	return r
}

var slashes = regexp.MustCompile(`//+`)

func (h *Handler) preflight(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS")
	if req := r.Header.Get("Access-Control-Request-Headers"); req != "" && len(req) <= 1024 {
		hdr.Set("Access-Control-Allow-Headers", req)
	}
	hdr.Set("Access-Control-Max-Age", "86400")
	w.WriteHeader(http.StatusNoContent)
}

// RequestRecord is each request's EMF record, under Service=render; its
// metrics in the order logRequest gives their values.
var RequestRecord = obs.Record{Dimensions: []string{"Service"}, Metrics: []obs.MetricDef{
	{Name: "Latency", Unit: obs.Milliseconds},
	{Name: "BytesOut", Unit: obs.Bytes},
	{Name: "CacheHit", Unit: obs.Count},
	{Name: "CacheMiss", Unit: obs.Count},
	{Name: "KrokiErrorDiagram", Unit: obs.Count},
	{Name: "KrokiErrorUnavailable", Unit: obs.Count},
	{Name: "KrokiErrorTimeout", Unit: obs.Count},
	{Name: "Status4xx", Unit: obs.Count},
	{Name: "Status5xx", Unit: obs.Count},
	{Name: "MemoryUsedPercent", Unit: obs.Percent},
}}

// memoryUsedPercent is the process's peak resident set against the
// function's memory size; 0 outside Lambda.
func (h *Handler) memoryUsedPercent() float64 {
	var ru syscall.Rusage
	if h.cfg.MemoryLimitMB == 0 || syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return math.Round(float64(ru.Maxrss)*1024/float64(h.cfg.MemoryLimitMB<<20)*1000) / 10 // Maxrss is in KiB on Linux
}

var serviceDimension = []string{"render"}

func (h *Handler) logRequest(ctx context.Context, method string, ri *requestInfo, elapsed time.Duration) {
	flag := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	var buf [24]slog.Attr
	attrs := h.emf.Attrs(buf[:0], h.now(), serviceDimension,
		float64(elapsed.Microseconds())/1000,
		float64(ri.bytes),
		flag(ri.cache == "hit"),
		flag(ri.cache == "miss"),
		flag(ri.errorClass == "diagram"),
		flag(ri.errorClass == "unavailable"),
		flag(ri.errorClass == "timeout"),
		flag(ri.status >= 400 && ri.status < 500),
		flag(ri.status >= 500),
		h.memoryUsedPercent(),
	)
	attrs = append(attrs,
		slog.String("method", method),
		slog.String("route", ri.route),
		slog.Int("status", ri.status),
		slog.String("type", ri.typ),
		slog.String("format", ri.format),
		slog.String("cache", ri.cache),
	)
	if ri.errorClass != "" {
		attrs = append(attrs, slog.String("error_class", ri.errorClass))
	}
	obs.Line(ctx, h.log, "request served", attrs)
}
