package render

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/umlimages/umlimages/internal/diagram"
)

// jsonRequest is Kroki's JSON body: POST / and POST /{type}[/{format}]
// with Content-Type: application/json, and our POST /v1/diagrams.
type jsonRequest struct {
	Source  string         `json:"diagram_source"`
	Type    string         `json:"diagram_type"`
	Format  string         `json:"output_format"`
	Options map[string]any `json:"diagram_options"`
}

// postBody is a POST body read as Kroki reads it: JSON when the
// Content-Type is exactly application/json, text otherwise (curl's
// --data-raw sends form encoding, and that is still the source).
type postBody struct {
	text []byte
	json *jsonRequest
}

// jsonOverhead is what a JSON body may add around a source at the size
// limit: escaping can double it, plus room for the other fields.
const jsonOverhead = 64 << 10

func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) (postBody, error) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/json" {
		var in jsonRequest
		if err := h.readJSON(w, r, &in); err != nil {
			return postBody{}, err
		}
		return postBody{json: &in}, nil
	}
	text, err := readLimited(w, r, h.cfg.MaxSourceBytes)
	if err != nil {
		return postBody{}, err
	}
	if len(text) == 0 {
		return postBody{}, diagram.Errorf(diagram.ErrEmptySource, "Request body must not be empty.")
	}
	return postBody{text: text}, nil
}

func (h *Handler) readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	raw, err := readLimited(w, r, 2*h.cfg.MaxSourceBytes+jsonOverhead)
	if err != nil {
		return err
	}
	if len(raw) == 0 {
		return diagram.Errorf(diagram.ErrEmptySource, "Request body must not be empty.")
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return diagram.Errorf(diagram.ErrBadRequest, "The request body is not valid JSON: %v", err)
	}
	return nil
}

// readLimited reads the body, failing with ErrTooLarge past max bytes
// without reading more than max+1, and within the request's deadline: a
// client trickling its body does not hold the request past it.
func readLimited(w http.ResponseWriter, r *http.Request, max int) ([]byte, error) {
	tooLarge := diagram.Errorf(diagram.ErrTooLarge, "The request body exceeds the limit of %d bytes.", max)
	if r.ContentLength > int64(max) {
		return nil, tooLarge
	}
	if deadline, ok := r.Context().Deadline(); ok {
		// Not every writer can (a Lambda event's body is in memory already).
		http.NewResponseController(w).SetReadDeadline(deadline)
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(max)))
	var mbe *http.MaxBytesError
	var timeout interface{ Timeout() bool }
	switch {
	case err == nil:
		return b, nil
	case errors.As(err, &mbe):
		return nil, tooLarge
	case errors.As(err, &timeout) && timeout.Timeout():
		return nil, diagram.Errorf(errBodyTimeout, "The request body did not arrive within the request's deadline.")
	}
	return nil, diagram.Errorf(diagram.ErrBadRequest, "The request body could not be read.")
}
