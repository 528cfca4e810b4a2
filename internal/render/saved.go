package render

import (
	"errors"
	"net/http"
	"regexp"
	"time"

	"github.com/umlimages/umlimages/internal/diagram"
)

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
