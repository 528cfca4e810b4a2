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
	if inm := r.Header.Get("If-None-Match"); ifNoneMatch(inm, it.etag) || anyETag(inm) {
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
	return memoryItem{body: body, contentType: contentType, etag: etag, stored: stored, typ: req.Type.Name, format: string(req.Format),
		header: append(bodyFields(contentType, len(body)), fields{{"Etag", []string{etag}}, {"Cache-Control", []string{cacheForever}}}...)}
}

// bodyFields are a response body's own headers: its type and length and,
// for an SVG, the sandboxing CSP.
func bodyFields(contentType string, size int) fields {
	fs := fields{{"Content-Type", []string{contentType}}, {"Content-Length", []string{strconv.Itoa(size)}}}
	if strings.HasPrefix(contentType, "image/svg+xml") {
		fs = append(fs, fields{{"Content-Security-Policy", []string{config.SVGContentSecurityPolicy}}}...)
	}
	return fs
}

// writeBody answers status with body.
func writeBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	hdr := w.Header()
	for _, f := range bodyFields(contentType, len(body)) {
		hdr[f.key] = f.values
	}
	w.WriteHeader(status)
	w.Write(body)
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

// ifNoneMatch reports whether an If-None-Match header names etag. "*"
// names any render that exists: the caller knows whether one does
// (anyETag).
func ifNoneMatch(header, etag string) bool {
	for header != "" {
		var t string
		t, header, _ = strings.Cut(header, ",")
		if strings.TrimPrefix(strings.TrimSpace(t), "W/") == etag {
			return true
		}
	}
	return false
}

// anyETag reports whether an If-None-Match header is "*".
func anyETag(header string) bool { return strings.TrimSpace(header) == "*" }
