package render

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/umlimages/umlimages/internal/config"
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

// requestInfo collects what the edge logs and measures about one request.
type requestInfo struct {
	status     int
	bytes      int
	typ        string
	format     string
	cache      string // "hit", "miss" or ""
	errorClass string // "diagram", "unavailable", "timeout", ...
}

type infoKey struct{}

func info(ctx context.Context) *requestInfo {
	if i, ok := ctx.Value(infoKey{}).(*requestInfo); ok {
		return i
	}
	return &requestInfo{}
}

type recorder struct {
	http.ResponseWriter
	info *requestInfo
}

func (r *recorder) WriteHeader(status int) {
	if r.info.status == 0 {
		r.info.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.info.status == 0 {
		r.info.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.info.bytes += n
	return n, err
}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

// ServeHTTP is the edge: request id, deadline, limits, CORS, the common
// security headers, panics, and one log line (an EMF record) per request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.now()
	ctx := r.Context()
	id := obs.RequestID(ctx)
	if id == "" {
		if id = r.Header.Get("X-Request-Id"); !requestIDPattern.MatchString(id) {
			id = obs.NewRequestID()
		}
		ctx = obs.WithRequestID(ctx, id)
	}
	ri := &requestInfo{}
	ctx = context.WithValue(ctx, infoKey{}, ri)
	if h.o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.o.Timeout)
		defer cancel()
	}
	r = r.WithContext(ctx)
	rec := &recorder{ResponseWriter: w, info: ri}
	hdr := w.Header()
	hdr.Set("X-Request-Id", id)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Access-Control-Allow-Origin", "*")
	hdr.Set("Access-Control-Expose-Headers", "ETag, Location, X-Cache, X-Diagram-Error, X-Diagram-Error-Line, X-Request-Id")
	defer func() {
		if p := recover(); p != nil {
			h.log.ErrorContext(ctx, "panic serving request", "panic", fmt.Sprint(p))
			if ri.status == 0 {
				h.fail(rec, r, fmt.Errorf("panic: %v", p))
			}
		}
		h.logRequest(ctx, r, ri, h.now().Sub(start))
	}()
	switch {
	case h.o.OriginSecret != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get(config.OriginHeader)), []byte(h.o.OriginSecret)) != 1:
		h.fail(rec, r, diagram.Errorf(errNotThroughEdge, "This endpoint serves its CloudFront distribution only; use the service's public address."))
	case r.Method == http.MethodOptions:
		h.preflight(rec, r)
	case len(r.URL.RequestURI()) > h.o.MaxURLBytes:
		h.fail(rec, r, diagram.Errorf(errURITooLong, "The request URI's length exceeds %d.", h.o.MaxURLBytes))
	default:
		h.mux.ServeHTTP(rec, r)
	}
}

func (h *Handler) preflight(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS")
	if req := r.Header.Get("Access-Control-Request-Headers"); req != "" && len(req) <= 1024 {
		hdr.Set("Access-Control-Allow-Headers", req)
	}
	hdr.Set("Access-Control-Max-Age", "86400")
	w.WriteHeader(http.StatusNoContent)
}

// requestMetrics are the figures of each request's EMF record, in the
// order logRequest gives their values.
var requestMetrics = []obs.MetricDef{
	{Name: "Latency", Unit: obs.Milliseconds},
	{Name: "BytesOut", Unit: obs.Bytes},
	{Name: "CacheHit", Unit: obs.Count},
	{Name: "CacheMiss", Unit: obs.Count},
	{Name: "KrokiErrorDiagram", Unit: obs.Count},
	{Name: "KrokiErrorUnavailable", Unit: obs.Count},
	{Name: "KrokiErrorTimeout", Unit: obs.Count},
	{Name: "Status4xx", Unit: obs.Count},
	{Name: "Status5xx", Unit: obs.Count},
}

var serviceDimension = []string{"render"}

func (h *Handler) logRequest(ctx context.Context, r *http.Request, ri *requestInfo, elapsed time.Duration) {
	flag := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	attrs := h.emf.Attrs(h.now(), serviceDimension,
		float64(elapsed.Microseconds())/1000,
		float64(ri.bytes),
		flag(ri.cache == "hit"),
		flag(ri.cache == "miss"),
		flag(ri.errorClass == "diagram"),
		flag(ri.errorClass == "unavailable"),
		flag(ri.errorClass == "timeout"),
		flag(ri.status >= 400 && ri.status < 500),
		flag(ri.status >= 500),
	)
	attrs = append(attrs,
		slog.String("method", r.Method),
		slog.String("route", r.Pattern),
		slog.Int("status", ri.status),
		slog.String("type", ri.typ),
		slog.String("format", ri.format),
		slog.String("cache", ri.cache),
	)
	if ri.errorClass != "" {
		attrs = append(attrs, slog.String("error_class", ri.errorClass))
	}
	h.log.LogAttrs(ctx, slog.LevelInfo, "request served", attrs...)
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

func (h *Handler) renderGET(w http.ResponseWriter, r *http.Request) {
	fp := fingerprint(r)
	if it, ok := h.hot.get(fp); ok {
		h.serveHot(w, r, it)
		return
	}
	t, f, err := h.resolve(r.PathValue("type"), r.PathValue("format"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	opts, err := diagram.MergeOptions(r.URL.Query(), r.Header, nil)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	source, err := diagram.Decode(r.PathValue("encoded"), t.Name == "plantuml" || t.Name == "c4plantuml", h.o.MaxSourceBytes)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	req, err := diagram.NewRequest(t, f, source, opts, h.o.MaxSourceBytes)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if it := h.serve(w, r, req); it != nil {
		it.key = fp
		h.hot.putItem(*it)
	}
}

// hotBytes bounds the handler's hot tier, part of the memory tier (off
// with it): GET responses by the raw form of their request, served without
// decoding, normalising or hashing.
const hotBytes = 16 << 20

// fingerprint is a GET render request's raw form: what decides its
// response (the path, the query, the option headers), cheap to compute.
func fingerprint(r *http.Request) string {
	var b strings.Builder
	b.WriteString(r.URL.Path)
	if q := r.URL.RawQuery; q != "" {
		parts := strings.Split(q, "&")
		slices.Sort(parts)
		b.WriteByte('?')
		b.WriteString(strings.Join(parts, "&"))
	}
	var opts []string
	for k, vs := range r.Header {
		if len(k) > len(diagram.HeaderPrefix) && strings.EqualFold(k[:len(diagram.HeaderPrefix)], diagram.HeaderPrefix) {
			for _, v := range vs {
				opts = append(opts, strings.ToLower(k)+":"+v)
			}
		}
	}
	slices.Sort(opts)
	for _, o := range opts {
		b.WriteString("\n" + o)
	}
	return b.String()
}

// serveHot answers a repeated GET from the hot tier.
func (h *Handler) serveHot(w http.ResponseWriter, r *http.Request, it memoryItem) {
	start := h.now()
	ri := info(r.Context())
	ri.typ, ri.format, ri.cache = r.PathValue("type"), r.PathValue("format"), "hit"
	hdr := w.Header()
	hdr.Set("ETag", it.etag)
	hdr.Set("Cache-Control", cacheForever)
	if ifNoneMatch(r.Header.Get("If-None-Match"), it.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hdr.Set("X-Cache", "hit")
	hdr.Set("Server-Timing", fmt.Sprintf("%s;dur=%.3f", FromMemory, float64(h.now().Sub(start).Microseconds())/1000))
	writeBody(w, it.contentType, it.body)
}

func (h *Handler) renderPOST(w http.ResponseWriter, r *http.Request) {
	t, err := h.lookup(r.PathValue("type"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	body, err := h.readBody(w, r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	src, format, jsonOpts := body.text, "", map[string]any(nil)
	if body.json != nil {
		src, format, jsonOpts = []byte(body.json.Source), body.json.Format, body.json.Options
		if len(src) == 0 {
			h.fail(w, r, diagram.Errorf(diagram.ErrEmptySource, "Field diagram_source must not be empty."))
			return
		}
	}
	if p := r.PathValue("format"); p != "" {
		format = p
	}
	if format == "" {
		if format, err = formatFromAccept(r.Header.Get("Accept"), t); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	f, err := diagram.ParseFormat(t, format)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	opts, err := diagram.MergeOptions(r.URL.Query(), r.Header, jsonOpts)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	req, err := diagram.NewRequest(t, f, src, opts, h.o.MaxSourceBytes)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.serve(w, r, req)
}

func (h *Handler) renderJSON(w http.ResponseWriter, r *http.Request) {
	var in jsonRequest
	if err := h.readJSON(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	for _, f := range []struct{ name, value string }{
		{"diagram_source", in.Source}, {"diagram_type", in.Type}, {"output_format", in.Format},
	} {
		if f.value == "" {
			h.fail(w, r, diagram.Errorf(diagram.ErrEmptySource, "Field %s must not be empty.", f.name))
			return
		}
	}
	t, f, err := h.resolve(in.Type, in.Format)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	opts, err := diagram.MergeOptions(r.URL.Query(), r.Header, in.Options)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	req, err := diagram.NewRequest(t, f, []byte(in.Source), opts, h.o.MaxSourceBytes)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.serve(w, r, req)
}

// serve answers with the render of req: 304 when the client holds it,
// from the cache, or rendered; redirected to its object when too big for
// the response.
// serve answers with req's render; it returns the response as a hot-tier
// item when the response is the render itself, cached.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, req diagram.Request) *memoryItem {
	ri := info(r.Context())
	ri.typ, ri.format = req.Type.Name, string(req.Format)
	key := h.svc.Key(req)
	etag := `"` + key + `"`
	hdr := w.Header()
	if ifNoneMatch(r.Header.Get("If-None-Match"), etag) {
		hdr.Set("ETag", etag)
		hdr.Set("Cache-Control", cacheForever)
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	start := h.now()
	fresh := r.Header.Get(config.ProbeHeader) != ""
	render := h.svc.RenderKey
	if fresh {
		render = h.svc.RenderFresh
	}
	res, err := render(r.Context(), req, key)
	if err != nil {
		h.fail(w, r, err)
		return nil
	}
	ri.cache = "miss"
	if res.Cached() {
		ri.cache = "hit"
	}
	hdr.Set("X-Cache", ri.cache)
	hdr.Set("Server-Timing", fmt.Sprintf("%s;dur=%.3f", res.Tier, float64(h.now().Sub(start).Microseconds())/1000))
	hdr.Set("ETag", etag)
	hdr.Set("Cache-Control", cacheForever)
	if fresh {
		hdr.Set("Cache-Control", "no-store")
	}
	if h.o.MaxInlineBytes > 0 && len(res.Body) > h.o.MaxInlineBytes {
		if !res.Stored {
			h.fail(w, r, diagram.Errorf(diagram.ErrOutputTooLarge, "The rendered diagram is %d bytes, more than the %d bytes a response can carry.", len(res.Body), h.o.MaxInlineBytes))
			return nil
		}
		status := http.StatusFound
		if r.Method == http.MethodPost {
			status = http.StatusSeeOther
		}
		http.Redirect(w, r, h.baseURL(r)+"/"+res.Object, status)
		return nil
	}
	writeBody(w, res.ContentType, res.Body)
	if fresh || !res.Stored {
		return nil
	}
	return &memoryItem{body: res.Body, contentType: res.ContentType, etag: etag, stored: true}
}

const cacheForever = "public, max-age=31536000, immutable"

func writeBody(w http.ResponseWriter, contentType string, body []byte) {
	hdr := w.Header()
	hdr.Set("Content-Type", contentType)
	if strings.HasPrefix(contentType, "image/svg+xml") {
		hdr.Set("Content-Security-Policy", config.SVGContentSecurityPolicy)
	}
	hdr.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

func ifNoneMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// baseURL is the public address links and redirects are made from.
func (h *Handler) baseURL(r *http.Request) string {
	if h.o.PublicBaseURL != "" {
		return h.o.PublicBaseURL
	}
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

var (
	savedIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{12,43}$`)
	objectPattern  = regexp.MustCompile(`^[0-9a-f]{64}\.[a-z0-9]{2,5}$`)
)

func errNoSuchDiagram(id string) error {
	return diagram.Errorf(diagram.ErrNotFound, "No saved diagram has the id %s.", id)
}

func (h *Handler) renderSaved(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !savedIDPattern.MatchString(id) {
		h.fail(w, r, errNoSuchDiagram(id))
		return
	}
	d, err := h.svc.Load(r.Context(), id)
	if err != nil {
		if errors.Is(err, diagram.ErrNotFound) {
			err = errNoSuchDiagram(id)
		}
		h.fail(w, r, err)
		return
	}
	t, f, err := h.resolve(d.Type, r.PathValue("format"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	req, err := diagram.NewRequest(t, f, []byte(d.Source), d.Options, h.o.MaxSourceBytes)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.serve(w, r, req)
}

// savedResponse is the answer to a save: the id and where to render it.
type savedResponse struct {
	ID      string            `json:"id"`
	Type    string            `json:"diagram_type"`
	Created time.Time         `json:"created"`
	URLs    map[string]string `json:"urls"`
}

func (h *Handler) save(w http.ResponseWriter, r *http.Request) {
	var in jsonRequest
	if err := h.readJSON(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	if in.Type == "" {
		h.fail(w, r, diagram.Errorf(diagram.ErrBadRequest, "Field diagram_type must not be empty."))
		return
	}
	t, err := h.lookup(in.Type)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	opts, err := diagram.MergeOptions(nil, nil, in.Options)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if in.Source == "" {
		h.fail(w, r, diagram.Errorf(diagram.ErrEmptySource, "Field diagram_source must not be empty."))
		return
	}
	req, err := diagram.NewRequest(t, preferredFormat(t), []byte(in.Source), opts, h.o.MaxSourceBytes)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d, err := h.svc.Save(r.Context(), Saved{Type: t.Name, Source: string(req.Source), Options: opts})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := savedResponse{ID: d.ID, Type: d.Type, Created: d.Created, URLs: map[string]string{}}
	base := h.baseURL(r) + "/d/" + d.ID + "/"
	for _, f := range t.Formats {
		out.URLs[string(f)] = base + string(f)
	}
	w.Header().Set("Location", base+string(preferredFormat(t)))
	writeJSON(w, http.StatusCreated, "application/json", "no-store", out)
}

// preferredFormat is SVG where the type has it, else its first format.
func preferredFormat(t diagram.Type) diagram.Format {
	if t.Supports(diagram.SVG) {
		return diagram.SVG
	}
	return t.Formats[0]
}

func (h *Handler) object(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	if !objectPattern.MatchString(file) {
		h.fail(w, r, diagram.Errorf(diagram.ErrNotFound, "Not Found"))
		return
	}
	body, ct, err := h.svc.store.Get(r.Context(), "renders/"+file)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", cacheForever)
	writeBody(w, ct, body)
}

// typeInfo is one entry of /v1/types.
type typeInfo struct {
	Name    string   `json:"name"`
	Aliases []string `json:"aliases,omitempty"`
	Formats []string `json:"formats"`
	Enabled bool     `json:"enabled"`
}

func (h *Handler) types(w http.ResponseWriter, r *http.Request) {
	out := struct {
		Types []typeInfo `json:"types"`
	}{}
	for _, t := range diagram.Types() {
		ti := typeInfo{Name: t.Name, Aliases: t.Aliases, Enabled: h.o.EnabledTypes[t.Name]}
		for _, f := range t.Formats {
			ti.Formats = append(ti.Formats, string(f))
		}
		out.Types = append(out.Types, ti)
	}
	writeJSON(w, http.StatusOK, "application/json", "public, max-age=300", out)
}

func (h *Handler) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
	defer cancel()
	status, checks := h.svc.Health(ctx)
	out := struct {
		Status  Status             `json:"status"`
		Version map[string]any     `json:"version"`
		Checks  map[string][]Check `json:"checks"`
	}{
		Status:  status,
		Version: map[string]any{"umlimages": map[string]string{"number": h.o.Version}, "kroki": h.o.RendererVersion},
		Checks:  map[string][]Check{},
	}
	for name, c := range checks {
		out.Checks[name] = []Check{c}
	}
	code := http.StatusOK
	if status == Fail {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, "application/health+json", "no-store", out)
}

func writeJSON(w http.ResponseWriter, status int, contentType, cacheControl string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":500,"message":"Internal Server Error"}}`)
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", cacheControl)
	w.WriteHeader(status)
	w.Write(b)
}
