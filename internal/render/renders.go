package render

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/umlimages/umlimages/internal/config"
	"github.com/umlimages/umlimages/internal/diagram"
)

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

// preferredFormat is SVG where the type has it, else its first format.
func preferredFormat(t diagram.Type) diagram.Format {
	if t.Supports(diagram.SVG) {
		return diagram.SVG
	}
	return t.Formats[0]
}
