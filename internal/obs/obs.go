// Package obs is the service's observability: slog JSON logs carrying the
// request id (Lambda's, or one made at the edge), CloudWatch metrics as
// Embedded Metric Format fields on log lines, and X-Ray tracing of the AWS
// SDK and of outgoing HTTP. Tracing lives here alone, so moving to
// OpenTelemetry touches this package only.
package obs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// NewLogger returns a JSON logger that adds "request_id" to every record
// logged with a context that carries one.
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	lw := &lockedWriter{w: w}
	return slog.New(&handler{json: slog.NewJSONHandler(lw, &slog.HandlerOptions{Level: level}), w: lw, fast: true})
}

type requestIDKey struct{}

// WithRequestID returns ctx carrying id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return &Request{Context: ctx, ID: id}
}

// Request is a context carrying a request id: WithRequestID's, or embedded
// in a request's own context so one allocation makes both.
type Request struct {
	context.Context
	ID string
}

// Value answers the request id's key, and the parent's for the rest.
func (c *Request) Value(key any) any {
	if key == (requestIDKey{}) {
		return c.ID
	}
	return c.Context.Value(key)
}

// RequestID is the id of the request ctx belongs to: one set by
// WithRequestID, else the Lambda invocation's, else "".
func RequestID(ctx context.Context) string {
	if id, ok := ctx.Value(requestIDKey{}).(string); ok {
		return id
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return lc.AwsRequestID
	}
	return ""
}

// NewRequestID makes a random id for a request that arrived without one.
func NewRequestID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Units of the metrics this service emits.
const (
	Milliseconds = "Milliseconds"
	Count        = "Count"
	Bytes        = "Bytes"
	None         = "None"
	Percent      = "Percent"
)

// MetricDef names a metric and its CloudWatch unit.
type MetricDef struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

// EMF writes CloudWatch metrics as Embedded Metric Format fields on log
// lines: CloudWatch extracts them from the log, so no API call is made.
// The metadata that never changes is encoded once.
type EMF struct {
	dimensions []string
	metrics    []MetricDef
	directives preEncoded
}

// Record is the shape of one kind of EMF record: the names of its
// dimensions and its metrics. Packages export theirs, so the alarms that
// watch them can be checked against what is emitted.
type Record struct {
	Dimensions []string
	Metrics    []MetricDef
}

// EMF returns the writer of r's records under namespace.
func (r Record) EMF(namespace string) *EMF { return NewEMF(namespace, r.Dimensions, r.Metrics...) }

// NewEMF describes one kind of EMF record: its namespace, the names of its
// dimensions (one dimension set) and its metrics.
func NewEMF(namespace string, dimensions []string, metrics ...MetricDef) *EMF {
	directives, _ := json.Marshal([]struct {
		Namespace  string      `json:"Namespace"`
		Dimensions [][]string  `json:"Dimensions"`
		Metrics    []MetricDef `json:"Metrics"`
	}{{namespace, [][]string{dimensions}, metrics}})
	return &EMF{dimensions: dimensions, metrics: metrics, directives: directives}
}

// Attrs appends to attrs the attributes that make a JSON log line a
// record: "_aws" metadata, the dimensions' values (in NewEMF's order) and
// the metrics' values (likewise).
func (e *EMF) Attrs(attrs []slog.Attr, now time.Time, dimensions []string, values ...float64) []slog.Attr {
	attrs = append(attrs, slog.Any("_aws", emfMetadata{timestamp: now.UnixMilli(), directives: e.directives}))
	for i, d := range e.dimensions {
		attrs = append(attrs, slog.String(d, dimensions[i]))
	}
	for i, m := range e.metrics {
		attrs = append(attrs, slog.Float64(m.Name, values[i]))
	}
	return attrs
}

// emfMetadata is a record's "_aws" object: its timestamp and the
// directives encoded once.
type emfMetadata struct {
	timestamp  int64
	directives preEncoded
}

func (m emfMetadata) append(b []byte) []byte {
	b = append(b, `{"Timestamp":`...)
	b = strconv.AppendInt(b, m.timestamp, 10)
	b = append(b, `,"CloudWatchMetrics":`...)
	b = append(b, m.directives...)
	return append(b, '}')
}

// MarshalJSON encodes the metadata for slog's JSON handler.
func (m emfMetadata) MarshalJSON() ([]byte, error) { return m.append(nil), nil }
