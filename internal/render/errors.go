package render

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/umlimages/umlimages/internal/diagram"
)

// Errors of the HTTP layer itself.
var (
	errMethodNotAllowed = errors.New("render: method not allowed")
	errURITooLong       = errors.New("render: request URI too long")
	errNotThroughEdge   = errors.New("render: request did not come through the distribution")
	errBodyTimeout      = errors.New("render: request body timed out")
)

// failure is how one error is answered.
type failure struct {
	status  int
	message string // what the client reads
	class   string // for metrics
	line    int
}

// statusClientClosed records a request its client abandoned (nginx's 499):
// nobody reads the answer, and it is no server failure.
const statusClientClosed = 499

// Retry-After for a renderer outage, in seconds.
const retryAfterSeconds = "5"

// statusOf is the one table from domain errors to HTTP statuses. Client
// errors (4xx) carry the error's own message; server errors carry only the
// fixed text here, never err.Error().
var statusOf = []struct {
	kind    error
	status  int
	message string
	class   string
}{
	{diagram.ErrUnknownType, http.StatusBadRequest, "Unsupported diagram type.", "request"},
	{diagram.ErrUnsupportedFormat, http.StatusBadRequest, "Unsupported output format.", "request"},
	{diagram.ErrDisabledType, http.StatusBadRequest, "Diagram type disabled.", "request"},
	{diagram.ErrEmptySource, http.StatusBadRequest, "Request body must not be empty.", "request"},
	{diagram.ErrBadEncoding, http.StatusBadRequest, "Unable to decode the source.", "request"},
	{diagram.ErrBadOptions, http.StatusBadRequest, "Invalid diagram options.", "request"},
	{diagram.ErrBadRequest, http.StatusBadRequest, "Bad Request", "request"},
	{diagram.ErrNotFound, http.StatusNotFound, "Not Found", "request"},
	{errMethodNotAllowed, http.StatusMethodNotAllowed, "Method Not Allowed", "request"},
	{diagram.ErrTooLarge, http.StatusRequestEntityTooLarge, "The diagram source is too large.", "request"},
	{diagram.ErrOutputTooLarge, http.StatusRequestEntityTooLarge, "The rendered diagram is too large.", "output"},
	{errURITooLong, http.StatusRequestURITooLong, "Request-URI Too Long", "request"},
	{errBodyTimeout, http.StatusRequestTimeout, "Request Timeout", "request"},
	{errNotThroughEdge, http.StatusForbidden, "Forbidden", "request"},
	{diagram.ErrUnavailable, http.StatusServiceUnavailable, "The diagram renderer is unavailable. Retry shortly.", "unavailable"},
	{ErrStoreUnavailable, http.StatusServiceUnavailable, "The diagram store is unavailable. Retry shortly.", "store"},
	{diagram.ErrTimeout, http.StatusGatewayTimeout, "The diagram took too long to render.", "timeout"},
	{context.Canceled, statusClientClosed, "The request was cancelled.", "cancelled"},
}

func classify(err error) failure {
	var se *diagram.SyntaxError
	if errors.As(err, &se) {
		return failure{status: http.StatusBadRequest, message: se.Message, class: "diagram", line: se.Line}
	}
	for _, e := range statusOf {
		if !errors.Is(err, e.kind) {
			continue
		}
		f := failure{status: e.status, message: e.message, class: e.class}
		var de *diagram.Error
		if e.status < 500 && errors.As(err, &de) {
			f.message = de.Message
		}
		return f
	}
	return failure{status: http.StatusInternalServerError, message: "Internal Server Error", class: "internal"}
}

// fail answers with err in the form the client asked for (Accept): JSON,
// "Error N: message" text, or an SVG image that an <img> shows.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	f := classify(err)
	ri := info(r.Context())
	ri.errorClass = f.class
	if f.status >= 500 && f.status != statusClientClosed {
		h.log.ErrorContext(r.Context(), "request failed", "status", f.status, "error", err)
	} else {
		h.log.DebugContext(r.Context(), "request rejected", "status", f.status, "error", err)
	}
	hdr := w.Header()
	hdr.Del("ETag")
	hdr.Set("X-Cache", "miss") // an error is never served from, or written to, the cache
	hdr.Set("X-Diagram-Error", headerSafe(f.message))
	if f.line > 0 {
		hdr.Set("X-Diagram-Error-Line", strconv.Itoa(f.line))
	}
	switch {
	case f.status == http.StatusServiceUnavailable:
		hdr.Set("Retry-After", retryAfterSeconds)
		hdr.Set("Cache-Control", "no-store")
	case f.status >= 500:
		hdr.Set("Cache-Control", "no-store")
	default:
		hdr.Set("Cache-Control", "public, max-age=60")
	}
	switch errorFormat(r.Header.Get("Accept")) {
	case "json":
		body, _ := json.Marshal(map[string]any{"error": map[string]any{"code": f.status, "message": f.message}})
		writeBody(w, f.status, "application/json", body)
	case "svg":
		writeBody(w, f.status, "image/svg+xml", errorSVG(f.status, f.message))
	default:
		writeBody(w, f.status, "text/plain; charset=utf-8", []byte(fmt.Sprintf("Error %d: %s\n", f.status, f.message)))
	}
}

// headerSafe makes a message fit one header line: printable ASCII, at most
// 1024 bytes.
func headerSafe(s string) string {
	var b strings.Builder
	for _, c := range s {
		if b.Len() >= 1024 {
			break
		}
		switch {
		case c == '\n' || c == '\r' || c == '\t':
			b.WriteByte(' ')
		case c < 0x20 || c == 0x7f:
		case c > 0x7e:
			b.WriteByte('?')
		default:
			b.WriteRune(c)
		}
	}
	return strings.TrimSpace(b.String())
}

// Error image layout: a monospace character of errorFontSize is at most
// 0.6 of it wide, so errorCols characters fit inside the box's margins.
const (
	errorWidth, errorFontSize, errorMargin = 720, 13, 12
	errorCols                              = (errorWidth - 2*errorMargin) * 10 / (errorFontSize * 6)
	errorMaxLines, errorLineHeight         = 24, 18
)

// errorSVG draws an error as an image, so an <img> shows why it failed:
// the message wrapped at word boundaries inside the box.
func errorSVG(status int, message string) []byte {
	var lines []string
	for _, raw := range strings.Split(message, "\n") {
		lines = append(lines, wrap(raw, errorCols)...)
	}
	if len(lines) > errorMaxLines {
		lines = append(lines[:errorMaxLines-1], "…")
	}
	height := 48 + errorLineHeight*len(lines)
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">`, errorWidth, height, errorWidth, height)
	fmt.Fprintf(&b, `<rect x="0.5" y="0.5" width="%d" height="%d" rx="4" fill="#fff1f0" stroke="#cf1322"/>`, errorWidth-1, height-1)
	fmt.Fprintf(&b, `<text x="%d" y="26" font-family="sans-serif" font-size="15" font-weight="bold" fill="#a8071a">Error %d: %s</text>`, errorMargin, status, http.StatusText(status))
	for i, l := range lines {
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-family="monospace" font-size="%d" fill="#5c0011" xml:space="preserve">`, errorMargin, 50+errorLineHeight*i, errorFontSize)
		xml.EscapeText(&b, []byte(l))
		b.WriteString(`</text>`)
	}
	b.WriteString(`</svg>`)
	return b.Bytes()
}

// wrap breaks a line into lines of at most cols characters, at spaces; a
// word longer than a line is split.
func wrap(line string, cols int) []string {
	var out []string
	r := []rune(line)
	for len(r) > cols {
		cut := cols
		for i := cols; i > 0; i-- {
			if r[i] == ' ' {
				cut = i
				break
			}
		}
		out = append(out, strings.TrimRight(string(r[:cut]), " "))
		r = []rune(strings.TrimLeft(string(r[cut:]), " "))
	}
	return append(out, string(r))
}
