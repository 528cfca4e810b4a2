package render

import (
	"context"
	"net/http"

	"github.com/umlimages/umlimages/internal/obs"
)

// requestInfo collects what the edge logs and measures about one request.
type requestInfo struct {
	status     int
	bytes      int
	typ        string
	format     string
	cache      string // "hit", "miss" or ""
	errorClass string // "diagram", "unavailable", "timeout", ...
	route      string // the pattern that served it
	hotKey     string // a GET's fingerprint
}

// requestContext is a request's context as the edge makes it, in one
// allocation: its info and its response recorder.
type requestContext struct {
	obs.Request
	info requestInfo
	rec  recorder
}

type infoKey struct{}

func (c *requestContext) Value(key any) any {
	if key == (infoKey{}) {
		return &c.info
	}
	return c.Request.Value(key)
}

func info(ctx context.Context) *requestInfo {
	if i, ok := ctx.Value(infoKey{}).(*requestInfo); ok {
		return i
	}
	return &requestInfo{}
}

type recorder struct {
	http.ResponseWriter
	info *requestInfo
}

// Unwrap gives http.ResponseController the connection's writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *recorder) WriteHeader(status int) {
	if r.info.status == 0 {
		r.info.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.info.status == 0 {
		r.info.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.info.bytes += n
	return n, err
}
