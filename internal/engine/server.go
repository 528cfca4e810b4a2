// Package engine is a Kroki-compatible renderer for one machine: it speaks
// Kroki's HTTP API for the engines installed locally (graphviz, PlantUML
// and C4-PlantUML, ditaa from Debian's packages; D2 in-process) so the
// service runs, and is tested end to end, without Kroki's containers.
// Every external engine runs with a timeout and a concurrency bound.
package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/umlimages/umlimages/internal/diagram"
)

// MaxSourceBytes bounds a request's diagram source.
const MaxSourceBytes = 1 << 20

// Engine renders one diagram language.
type Engine interface {
	// Formats are the formats this engine renders.
	Formats() []diagram.Format
	// Render draws source; a *diagram.SyntaxError when the source is wrong.
	Render(ctx context.Context, f diagram.Format, source []byte, opts diagram.Options) ([]byte, error)
	// Version names the engine and its version, for /health.
	Version() string
}

// Server serves Kroki's API over a set of engines keyed by canonical type.
type Server struct {
	engines map[string]Engine
	log     *slog.Logger
	mux     *http.ServeMux
}

// NewServer returns a server for the engines, keyed by canonical type name.
func NewServer(engines map[string]Engine, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{engines: engines, log: log, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /health", s.health)
	s.mux.HandleFunc("GET /{type}/{format}/{encoded}", s.renderGET)
	s.mux.HandleFunc("POST /{type}/{format}", s.renderPOST)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, http.StatusNotFound, "Not Found")
	})
	return s
}

// Types lists the canonical types this server renders.
func (s *Server) Types() []string {
	var names []string
	for n := range s.engines {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	versions := map[string]string{}
	for name, e := range s.engines {
		versions[name] = e.Version()
	}
	w.Header().Set("Content-Type", "application/health+json")
	json.NewEncoder(w).Encode(map[string]any{"status": "pass", "version": versions})
}

func (s *Server) renderGET(w http.ResponseWriter, r *http.Request) {
	t, err := diagram.LookupRoute(r.PathValue("type"))
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	src, err := diagram.Decode(r.PathValue("encoded"), t.Name == "plantuml" || t.Name == "c4plantuml", MaxSourceBytes)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	s.render(w, r, t, src)
}

func (s *Server) renderPOST(w http.ResponseWriter, r *http.Request) {
	t, err := diagram.LookupRoute(r.PathValue("type"))
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	src, err := io.ReadAll(io.LimitReader(r.Body, MaxSourceBytes+1))
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, "The request body could not be read.")
		return
	}
	if len(src) > MaxSourceBytes {
		s.fail(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("The diagram source exceeds %d bytes.", MaxSourceBytes))
		return
	}
	s.render(w, r, t, src)
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, t diagram.Type, src []byte) {
	f, err := diagram.ParseFormat(t, r.PathValue("format"))
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	e, ok := s.engines[t.Name]
	if !ok {
		s.fail(w, r, http.StatusBadRequest, fmt.Sprintf(
			"The local renderer has no %s engine (it has %s). Set KROKI_URL to a full Kroki server to render %s diagrams.",
			t.Name, strings.Join(s.Types(), ", "), t.Name))
		return
	}
	if !contains(e.Formats(), f) {
		s.fail(w, r, http.StatusBadRequest, fmt.Sprintf(
			"The local %s engine renders %s, not %s. Set KROKI_URL to a full Kroki server for %s output.",
			t.Name, diagram.OneOf(e.Formats()), f, f))
		return
	}
	src = t.Normalize(src)
	if len(src) == 0 {
		s.fail(w, r, http.StatusBadRequest, "Request body must not be empty.")
		return
	}
	opts, err := diagram.MergeOptions(r.URL.Query(), r.Header, nil)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	out, err := e.Render(r.Context(), f, src, opts)
	var se *diagram.SyntaxError
	switch {
	case err == nil:
		w.Header().Set("Content-Type", f.ContentType())
		w.Header().Set("Content-Length", strconv.Itoa(len(out)))
		w.Write(out)
	case errors.As(err, &se):
		s.fail(w, r, http.StatusBadRequest, se.Message)
	case errors.Is(err, diagram.ErrTimeout):
		s.fail(w, r, http.StatusGatewayTimeout, err.Error())
	case errors.Is(err, diagram.ErrUnavailable):
		s.fail(w, r, http.StatusServiceUnavailable, err.Error())
	default:
		s.log.ErrorContext(r.Context(), "engine failed", "type", t.Name, "format", f, "error", err)
		s.fail(w, r, http.StatusInternalServerError, "Internal Server Error")
	}
}

// fail answers like Kroki: JSON when asked for, "Error N: message" text
// otherwise.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": status, "message": msg}})
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "Error %d: %s", status, msg)
}

func contains(fs []diagram.Format, f diagram.Format) bool {
	for _, x := range fs {
		if x == f {
			return true
		}
	}
	return false
}
