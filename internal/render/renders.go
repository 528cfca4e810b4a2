package render

import (
	"fmt"
	"net/http"

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
	inm := r.Header.Get("If-None-Match")
	if ifNoneMatch(inm, etag) {
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
	if res.Cached() && anyETag(inm) {
		notModified(w, etag) // "*" holds for a render that exists, and only then
		return nil
	}
	if h.cfg.MaxInlineBytes > 0 && len(res.Body) > h.cfg.MaxInlineBytes {
		if !res.Stored {
			return fmt.Errorf("the rendered diagram is %d bytes, more than a response carries, and could not be stored: %w", len(res.Body), ErrStoreUnavailable)
		}
		status := http.StatusFound
		if r.Method == http.MethodPost {
			status = http.StatusSeeOther
		}
		http.Redirect(w, r, h.baseURL()+"/"+res.Object, status)
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

// baseURL is the public address links and redirects are made from: the
// configured one (PUBLIC_BASE_URL), or none, and links are relative. A
// request's Host and X-Forwarded-* headers are the client's to choose, so
// they never make a link.
func (h *Handler) baseURL() string { return h.cfg.PublicBaseURL }
