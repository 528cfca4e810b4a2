// Package kroki is a client for a Kroki server's HTTP API: it POSTs a
// diagram source as text to /{type}/{format}, passes options as
// Kroki-Diagram-Options-* headers, and sorts failures into the domain's
// classes: a diagram error (the engine's 4xx, with its message and line),
// unavailable (5xx, refused), timeout, output too large.
package kroki

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/umlimages/umlimages/internal/diagram"
)

// MaxMessageBytes bounds how much of an error body is read and kept.
const MaxMessageBytes = 4096

// Client calls one Kroki server.
type Client struct {
	baseURL   string
	http      *http.Client
	maxOutput int
}

// New returns a client for the Kroki server at baseURL, using hc for
// transport (instrumented by the caller); a render over maxOutput bytes
// fails (0: no limit).
func New(baseURL string, hc *http.Client, maxOutput int) *Client {
	return &Client{baseURL: strings.TrimRight(baseURL, "/"), http: hc, maxOutput: maxOutput}
}

// Render renders one diagram, within the caller's deadline.
func (c *Client) Render(ctx context.Context, req diagram.Request) ([]byte, error) {
	url := c.baseURL + "/" + req.Type.Name + "/" + string(req.Format)
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(req.Source))
	if err != nil {
		return nil, fmt.Errorf("kroki: build request: %w", err)
	}
	hr.Header.Set("Content-Type", "text/plain; charset=utf-8")
	// The format is in the path; Accept only picks how Kroki words an error.
	hr.Header.Set("Accept", "application/json")
	for k, v := range req.Options {
		hr.Header.Set(diagram.HeaderPrefix+k, v)
	}
	resp, err := c.http.Do(hr)
	if err != nil {
		return nil, classify(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		body, err := readLimited(resp.Body, c.maxOutput)
		if err != nil {
			return nil, classify(ctx, err)
		}
		return body, nil
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, MaxMessageBytes))
	return nil, statusError(resp.StatusCode, msg)
}

// Capabilities asks the server what it draws. The local renderer says, per
// type, its formats and options; a full Kroki has no such endpoint (it
// answers a 4xx: 404, or 405 as its router matches POST /{type}), which
// ok=false reports: it draws Kroki's whole table.
func (c *Client) Capabilities(ctx context.Context) (caps []diagram.Capability, ok bool, err error) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, c.baseURL+diagram.CapabilitiesPath, nil)
	if err != nil {
		return nil, false, fmt.Errorf("kroki: build request: %w", err)
	}
	resp, err := c.http.Do(hr)
	if err != nil {
		return nil, false, classify(ctx, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		io.Copy(io.Discard, io.LimitReader(resp.Body, MaxMessageBytes))
		return nil, false, nil
	case resp.StatusCode != http.StatusOK:
		return nil, false, fmt.Errorf("kroki: capabilities answered %d: %w", resp.StatusCode, diagram.ErrUnavailable)
	}
	var out struct {
		Types []diagram.Capability `json:"types"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out); err != nil {
		return nil, false, fmt.Errorf("kroki: capabilities: %w", err)
	}
	return out.Types, true, nil
}

// Health asks the server's /health endpoint whether it is up.
func (c *Client) Health(ctx context.Context) error {
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, c.baseURL+"/health", nil)
	if err != nil {
		return fmt.Errorf("kroki: build request: %w", err)
	}
	resp, err := c.http.Do(hr)
	if err != nil {
		return classify(ctx, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, MaxMessageBytes))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("kroki: health answered %d: %w", resp.StatusCode, diagram.ErrUnavailable)
	}
	return nil
}

func classify(ctx context.Context, err error) error {
	var tooLarge *outputTooLargeError
	switch {
	case errors.As(err, &tooLarge):
		return fmt.Errorf("kroki: %w: %v", diagram.ErrOutputTooLarge, err)
	case errors.Is(ctx.Err(), context.DeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("kroki: %w: %v", diagram.ErrTimeout, err)
	case isTimeout(err):
		return fmt.Errorf("kroki: %w: %v", diagram.ErrTimeout, err)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("kroki: %w", err)
	default:
		return fmt.Errorf("kroki: %w: %v", diagram.ErrUnavailable, err)
	}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

func statusError(status int, body []byte) error {
	msg := message(body)
	switch {
	case status == http.StatusRequestEntityTooLarge:
		return fmt.Errorf("kroki: %w: %s", diagram.ErrTooLarge, msg)
	case status == http.StatusGatewayTimeout || status == http.StatusRequestTimeout:
		return fmt.Errorf("kroki: answered %d: %w", status, diagram.ErrTimeout)
	case status >= 400 && status < 500:
		return &diagram.SyntaxError{Status: status, Message: cut(msg), Line: Line(msg)}
	default:
		return fmt.Errorf("kroki: answered %d: %w: %s", status, diagram.ErrUnavailable, msg)
	}
}

type outputTooLargeError struct{ max int }

func (e *outputTooLargeError) Error() string {
	return fmt.Sprintf("render exceeds %d bytes", e.max)
}

// readLimited reads r to its end, failing past max bytes (max <= 0: no limit).
func readLimited(r io.Reader, max int) ([]byte, error) {
	if max <= 0 {
		return io.ReadAll(r)
	}
	b, err := io.ReadAll(io.LimitReader(r, int64(max)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > max {
		return nil, &outputTooLargeError{max: max}
	}
	return b, nil
}
