package render

import (
	"errors"
	"net/http"
	"regexp"
	"time"

	"github.com/umlimages/umlimages/internal/diagram"
)

var savedIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{12,43}$`)

func errNoSuchDiagram(id string) error {
	return diagram.Errorf(diagram.ErrNotFound, "No saved diagram has the id %s.", id)
}

// load reads the saved diagram named by the path's id.
func (h *Handler) load(r *http.Request) (Saved, error) {
	id := r.PathValue("id")
	if !savedIDPattern.MatchString(id) {
		return Saved{}, errNoSuchDiagram(id)
	}
	d, err := h.svc.Load(r.Context(), id)
	if errors.Is(err, diagram.ErrNotFound) {
		return Saved{}, errNoSuchDiagram(id)
	}
	return d, err
}

// savedSource answers a saved diagram itself (type, source, options), as
// the editor opens a short link.
func (h *Handler) savedSource(w http.ResponseWriter, r *http.Request) error {
	d, err := h.load(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, "application/json", "public, max-age=31536000, immutable", d)
	return nil
}

func (h *Handler) renderSaved(w http.ResponseWriter, r *http.Request) error {
	d, err := h.load(r)
	if err != nil {
		return err
	}
	opts := make(map[string]any, len(d.Options))
	for k, v := range d.Options {
		opts[k] = v
	}
	req, key, err := h.build(input{route: d.Type, format: r.PathValue("format"), source: []byte(d.Source), options: opts})
	if err != nil {
		return err
	}
	return h.serve(w, r, req, key, "")
}

// savedResponse is the answer to a save: the id and where to render it.
type savedResponse struct {
	ID      string            `json:"id"`
	Type    string            `json:"diagram_type"`
	Created time.Time         `json:"created"`
	URLs    map[string]string `json:"urls"`
}

func (h *Handler) save(w http.ResponseWriter, r *http.Request) error {
	var in jsonRequest
	if err := h.readJSON(w, r, &in); err != nil {
		return err
	}
	if in.Type == "" {
		return diagram.Errorf(diagram.ErrBadRequest, "Field diagram_type must not be empty.")
	}
	if in.Source == "" {
		if _, err := h.lookup(in.Type); err != nil {
			return err
		}
		return errEmptyField("diagram_source")
	}
	req, _, err := h.build(input{route: in.Type, source: []byte(in.Source), options: in.Options})
	if err != nil {
		return err
	}
	d, err := h.svc.Save(r.Context(), Saved{Type: req.Type.Name, Source: string(req.Source), Options: req.Options})
	if err != nil {
		return err
	}
	out := savedResponse{ID: d.ID, Type: d.Type, Created: d.Created, URLs: map[string]string{}}
	base := h.baseURL() + "/d/" + d.ID + "/"
	for _, f := range req.Type.Formats {
		out.URLs[string(f)] = base + string(f)
	}
	w.Header().Set("Location", base+string(req.Type.Preferred))
	writeJSON(w, http.StatusCreated, "application/json", "no-store", out)
	return nil
}
