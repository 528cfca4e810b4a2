// Package engine is a Kroki-compatible renderer for one machine: it speaks
// Kroki's HTTP API for the engines installed locally (Debian's graphviz,
// PlantUML with C4-PlantUML and ditaa, the blockdiag family and TeX Live;
// D2 in a child of our own binary; npm-installed Node engines; and the
// browser engines in one shared Chromium) so the service runs, and is
// tested end to end, without Kroki's containers, and publishes what it
// draws at diagram.CapabilitiesPath. Every engine process runs in the OS
// sandbox of package sandbox, with memory, CPU, output and wall-clock caps.
package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

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
	// Options are the diagram options the engine honours; a request with
	// any other is a 400 naming it.
	Options() []string
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
	s.mux.HandleFunc("GET "+diagram.CapabilitiesPath, s.capabilities)
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

// versionWait bounds how long /health waits for the engines' versions:
// some ask their program once (a JVM's start), and a health check must not
// wait on that under load.
const versionWait = 500 * time.Millisecond

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	var mu sync.Mutex
	versions := map[string]string{}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for name, e := range s.engines {
		wg.Go(func() {
			v := e.Version()
			mu.Lock()
			versions[name] = v
			mu.Unlock()
		})
	}
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(versionWait):
	}
	mu.Lock()
	defer mu.Unlock()
	for name := range s.engines {
		if _, ok := versions[name]; !ok {
			versions[name] = "starting"
		}
	}
	w.Header().Set("Content-Type", "application/health+json")
	json.NewEncoder(w).Encode(map[string]any{"status": "pass", "version": versions})
}

// capabilities says what the renderer draws: each type's formats and the
// options its engine honours.
func (s *Server) capabilities(w http.ResponseWriter, r *http.Request) {
	out := struct {
		Types []diagram.Capability `json:"types"`
	}{Types: []diagram.Capability{}}
	for _, name := range s.Types() {
		e := s.engines[name]
		out.Types = append(out.Types, diagram.Capability{Name: name, Formats: e.Formats(), Options: e.Options()})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

func (s *Server) renderGET(w http.ResponseWriter, r *http.Request) {
	t, err := diagram.LookupRoute(r.PathValue("type"))
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	src, err := diagram.Decode(r.PathValue("encoded"), t.PlantUMLEncoding, MaxSourceBytes)
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
	if !slices.Contains(e.Formats(), f) {
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
	for name := range opts {
		if !slices.Contains(e.Options(), name) {
			takes := "none"
			if len(e.Options()) > 0 {
				takes = strings.Join(e.Options(), ", ")
			}
			s.fail(w, r, http.StatusBadRequest, fmt.Sprintf("Option %s is not one the local %s engine honours (it takes: %s).", name, t.Name, takes))
			return
		}
	}
	start := time.Now()
	out, err := e.Render(r.Context(), f, src, opts)
	if err == nil && len(out) == 0 {
		err = &diagram.SyntaxError{Status: 400, Message: fmt.Sprintf("The %s engine produced no output for this source.", t.Name)}
	}
	status, outcome := http.StatusOK, "ok"
	var se *diagram.SyntaxError
	var de *diagram.Error
	switch {
	case err == nil:
		w.Header().Set("Content-Type", f.ContentType())
		w.Header().Set("Content-Length", strconv.Itoa(len(out)))
		w.Write(out)
	case errors.As(err, &se):
		status, outcome = http.StatusBadRequest, "diagram error"
		s.fail(w, r, status, se.Message)
	case errors.Is(err, diagram.ErrBadOptions) && errors.As(err, &de):
		status, outcome = http.StatusBadRequest, "bad options"
		s.fail(w, r, status, de.Message)
	case errors.Is(err, diagram.ErrTooLarge), errors.Is(err, diagram.ErrOutputTooLarge):
		status, outcome = http.StatusRequestEntityTooLarge, "too large"
		msg := "The diagram is too large for this renderer."
		if errors.As(err, &de) {
			msg = de.Message
		}
		s.fail(w, r, status, msg)
	case errors.Is(err, diagram.ErrTimeout):
		status, outcome = http.StatusGatewayTimeout, "timeout"
		s.fail(w, r, status, err.Error())
	case errors.Is(err, diagram.ErrUnavailable):
		status, outcome = http.StatusServiceUnavailable, "unavailable"
		w.Header().Set("Retry-After", "1")
		s.fail(w, r, status, err.Error())
	default:
		status, outcome = http.StatusInternalServerError, "failed"
		s.log.ErrorContext(r.Context(), "engine failed", "type", t.Name, "format", f, "error", err)
		s.fail(w, r, status, "Internal Server Error")
	}
	s.log.InfoContext(r.Context(), "render", "type", t.Name, "format", f, "bytes_in", len(src), "bytes_out", len(out),
		"ms", time.Since(start).Milliseconds(), "status", status, "outcome", outcome)
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
