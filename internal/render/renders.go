package render

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/umlimages/umlimages/internal/config"
	"github.com/umlimages/umlimages/internal/diagram"
)

func (h *Handler) renderGET(w http.ResponseWriter, r *http.Request) error {
	req, key, err := h.build(input{route: r.PathValue("type"), format: r.PathValue("format"), encoded: r.PathValue("encoded"),
		query: r.URL.Query(), header: r.Header})
	if err != nil {
		return err
	}
	return h.serve(w, r, req, key, info(r.Context()).hotKey)
}

func (h *Handler) renderPOST(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.lookup(r.PathValue("type")); err != nil {
		return err
	}
	body, err := h.readBody(w, r)
	if err != nil {
		return err
	}
	in := input{route: r.PathValue("type"), format: r.PathValue("format"), negotiate: true, accept: r.Header.Get("Accept"),
		source: body.text, query: r.URL.Query(), header: r.Header}
	if j := body.json; j != nil {
		if j.Source == "" {
			return errEmptyField("diagram_source")
		}
		in.source, in.options = []byte(j.Source), j.Options
		if in.format == "" {
			in.format = j.Format
		}
	}
	req, key, err := h.build(in)
	if err != nil {
		return err
	}
	return h.serve(w, r, req, key, "")
}

func (h *Handler) renderJSON(w http.ResponseWriter, r *http.Request) error {
	var in jsonRequest
	if err := h.readJSON(w, r, &in); err != nil {
		return err
	}
	for _, f := range []struct{ name, value string }{
		{"diagram_source", in.Source}, {"diagram_type", in.Type}, {"output_format", in.Format},
	} {
		if f.value == "" {
			return errEmptyField(f.name)
		}
	}
	req, key, err := h.build(input{route: in.Type, format: in.Format, source: []byte(in.Source),
		query: r.URL.Query(), header: r.Header, options: in.Options})
	if err != nil {
		return err
	}
	return h.serve(w, r, req, key, "")
}

func errEmptyField(name string) error {
	return diagram.Errorf(diagram.ErrEmptySource, "Field %s must not be empty.", name)
}

// serve answers with the render of req: 304 when the client holds it,
// from the cache, or rendered; redirected to its object when too big for
// the response. A GET's response, when it is the stored render itself,
// goes to the hot tier under the request's fingerprint fp.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, req diagram.Request, key, fp string) error {
	ri := info(r.Context())
	ri.typ, ri.format = req.Type.Name, string(req.Format)
	etag := `"` + key + `"`
	if ifNoneMatch(r.Header.Get("If-None-Match"), etag) {
		notModified(w, etag)
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
		return err
	}
	if h.cfg.MaxInlineBytes > 0 && len(res.Body) > h.cfg.MaxInlineBytes {
		if !res.Stored {
			return diagram.Errorf(diagram.ErrOutputTooLarge, "The rendered diagram is %d bytes, more than the %d bytes a response can carry.", len(res.Body), h.cfg.MaxInlineBytes)
		}
		status := http.StatusFound
		if r.Method == http.MethodPost {
			status = http.StatusSeeOther
		}
		http.Redirect(w, r, h.baseURL(r)+"/"+res.Object, status)
		return nil
	}
	it := newRendered(req, res.Body, res.ContentType, etag, res.Stored && !fresh)
	ri.cache = "miss"
	cache := missValue
	if res.Cached() {
		ri.cache, cache = "hit", hitValue
	}
	if fresh {
		w.Header().Set("Cache-Control", "no-store")
	}
	it.write(w, cache, res.Tier, h.now().Sub(start))
	if fp != "" && it.stored {
		it.key = fp
		h.hot.putItem(it)
	}
	return nil
}

// hotBytes bounds the handler's hot tier, part of the memory tier (off
// with it): GET responses by the raw form of their request, served without
// decoding, normalising or hashing.
const hotBytes = 16 << 20

// fingerprint is a GET render request's raw form: what decides its
// response (the path, the query, the option headers), cheap to compute.
func fingerprint(r *http.Request) string {
	q := r.URL.RawQuery
	var opts []string
	for k, vs := range r.Header {
		if len(k) > len(diagram.HeaderPrefix) && strings.EqualFold(k[:len(diagram.HeaderPrefix)], diagram.HeaderPrefix) {
			for _, v := range vs {
				opts = append(opts, strings.ToLower(k)+":"+v)
			}
		}
	}
	if q == "" && opts == nil {
		return r.URL.Path
	}
	var b strings.Builder
	b.WriteString(r.URL.Path)
	if q != "" {
		parts := strings.Split(q, "&")
		slices.Sort(parts)
		b.WriteByte('?')
		b.WriteString(strings.Join(parts, "&"))
	}
	slices.Sort(opts)
	for _, o := range opts {
		b.WriteString("\n" + o)
	}
	return b.String()
}

// serveHot answers a repeated GET from the hot tier, before routing; it
// reports whether it did.
func (h *Handler) serveHot(w http.ResponseWriter, r *http.Request, ri *requestInfo) bool {
	start := h.now()
	ri.hotKey = fingerprint(r)
	it, ok := h.hot.get(ri.hotKey)
	if !ok {
		return false
	}
	ri.typ, ri.format, ri.cache = it.typ, it.format, "hit"
	if ifNoneMatch(r.Header.Get("If-None-Match"), it.etag) {
		notModified(w, it.etag)
		return true
	}
	it.write(w, hitValue, FromMemory, h.now().Sub(start))
	return true
}

const cacheForever = "public, max-age=31536000, immutable"

func notModified(w http.ResponseWriter, etag string) {
	hdr := w.Header()
	hdr["Etag"] = []string{etag}
	hdr["Cache-Control"] = []string{cacheForever}
	w.WriteHeader(http.StatusNotModified)
}

// newRendered is a render as a response: its headers made once, so a hit
// from the hot tier only copies them.
func newRendered(req diagram.Request, body []byte, contentType, etag string, stored bool) memoryItem {
	it := memoryItem{body: body, contentType: contentType, etag: etag, stored: stored, typ: req.Type.Name, format: string(req.Format), header: fields{
		{"Content-Type", []string{contentType}},
		{"Content-Length", []string{strconv.Itoa(len(body))}},
		{"Etag", []string{etag}},
		{"Cache-Control", []string{cacheForever}},
	}}
	if strings.HasPrefix(contentType, "image/svg+xml") {
		it.header = append(it.header, fields{{"Content-Security-Policy", []string{config.SVGContentSecurityPolicy}}}...)
	}
	return it
}

// X-Cache's values.
var hitValue, missValue = []string{"hit"}, []string{"miss"}

// write sends the render, marked (X-Cache: cache) as served from tier
// after took.
func (it memoryItem) write(w http.ResponseWriter, cache []string, tier Tier, took time.Duration) {
	hdr := w.Header()
	it.header.setMissing(hdr)
	hdr["X-Cache"] = cache
	var timing [32]byte
	b := append(append(timing[:0], tier...), ";dur="...)
	hdr["Server-Timing"] = []string{string(strconv.AppendFloat(b, float64(took.Microseconds())/1000, 'f', 3, 64))}
	w.WriteHeader(http.StatusOK)
	w.Write(it.body)
}

func writeBody(w http.ResponseWriter, contentType string, body []byte) {
	hdr := w.Header()
	hdr.Set("Content-Type", contentType)
	if strings.HasPrefix(contentType, "image/svg+xml") {
		hdr.Set("Content-Security-Policy", config.SVGContentSecurityPolicy)
	}
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

func ifNoneMatch(header, etag string) bool {
	for header != "" {
		var t string
		t, header, _ = strings.Cut(header, ",")
		if t = strings.TrimPrefix(strings.TrimSpace(t), "W/"); t == etag || t == "*" {
			return true
		}
	}
	return false
}
