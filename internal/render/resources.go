package render

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/umlimages/umlimages/internal/diagram"
)

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
