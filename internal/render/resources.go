package render

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"

	"github.com/umlimages/umlimages/internal/diagram"
)

var objectPattern = regexp.MustCompile(`^[0-9a-f]{64}\.[a-z0-9]{2,5}$`)

func (h *Handler) object(w http.ResponseWriter, r *http.Request) error {
	file := r.PathValue("file")
	if !objectPattern.MatchString(file) {
		return errNotFound
	}
	body, ct, err := h.svc.Object(r.Context(), file)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", cacheForever)
	writeBody(w, http.StatusOK, ct, body)
	return nil
}

// typeInfo is one entry of /v1/types.
type typeInfo struct {
	Name      string           `json:"name"`
	Aliases   []string         `json:"aliases,omitempty"`
	Formats   []string         `json:"formats"`
	Preferred string           `json:"preferred_format"`
	Enabled   bool             `json:"enabled"`
	Syntax    string           `json:"syntax,omitempty"`
	Example   string           `json:"example"`
	Extension string           `json:"extension"`
	Options   []diagram.Option `json:"options,omitempty"`
}

func (h *Handler) types(w http.ResponseWriter, r *http.Request) error {
	out := struct {
		Types []typeInfo `json:"types"`
	}{}
	caps := h.caps.current(r.Context())
	for _, t := range diagram.Types() {
		o := offerOf(t, caps)
		ti := typeInfo{Name: t.Name, Aliases: t.Aliases, Preferred: string(o.preferred), Enabled: h.cfg.EnabledTypes[t.Name] && o.available,
			Syntax: t.Syntax, Example: t.Example, Extension: t.Extension, Options: o.options, Formats: []string{}}
		formats := o.formats
		if !o.available {
			formats = t.Formats
		}
		for _, f := range formats {
			ti.Formats = append(ti.Formats, string(f))
		}
		out.Types = append(out.Types, ti)
	}
	writeJSON(w, http.StatusOK, "application/json", "public, max-age=300", out)
	return nil
}

func (h *Handler) health(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), CheckTimeout)
	defer cancel()
	status, checks := h.svc.Health(ctx)
	out := struct {
		Status  Status             `json:"status"`
		Version map[string]any     `json:"version"`
		Checks  map[string][]Check `json:"checks"`
	}{
		Status:  status,
		Version: map[string]any{"umlimages": map[string]string{"number": h.version}, "kroki": h.cfg.KrokiVersion},
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
	return nil
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
