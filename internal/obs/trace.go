package obs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
)

// X-Ray tracing of outgoing calls: inside a traced Lambda invocation (the
// trace header the runtime hands each invocation), every HTTP and AWS SDK
// call becomes an X-Ray subsegment of the function's segment, sent to the
// X-Ray daemon over UDP as the daemon protocol defines, and the trace
// header travels on to the callee. Outside a traced invocation, calls pass
// untouched.

// traceKey carries a trace header set by WithTraceHeader.
type traceKey struct{}

// lambdaTraceKey is where aws-lambda-go puts each invocation's trace header.
const lambdaTraceKey = "x-amzn-trace-id"

// WithTraceHeader returns ctx carrying an X-Amzn-Trace-Id header value, for
// callers that receive one other than through the Lambda runtime.
func WithTraceHeader(ctx context.Context, header string) context.Context {
	return context.WithValue(ctx, traceKey{}, header)
}

type traceHeader struct {
	root, parent string
	sampled      bool
}

func traceFrom(ctx context.Context) (traceHeader, bool) {
	raw, _ := ctx.Value(traceKey{}).(string)
	if raw == "" {
		raw, _ = ctx.Value(lambdaTraceKey).(string)
	}
	var h traceHeader
	for _, part := range strings.Split(raw, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Root":
			h.root = v
		case "Parent":
			h.parent = v
		case "Sampled":
			h.sampled = v == "1"
		}
	}
	return h, h.root != "" && h.parent != "" && h.sampled
}

// subsegment is an X-Ray subsegment document.
type subsegment struct {
	Name      string         `json:"name"`
	ID        string         `json:"id"`
	TraceID   string         `json:"trace_id"`
	ParentID  string         `json:"parent_id"`
	Type      string         `json:"type"`
	Namespace string         `json:"namespace"`
	StartTime float64        `json:"start_time"`
	EndTime   float64        `json:"end_time"`
	Fault     bool           `json:"fault,omitempty"`
	Error     bool           `json:"error,omitempty"`
	Throttle  bool           `json:"throttle,omitempty"`
	HTTP      map[string]any `json:"http,omitempty"`
	AWS       map[string]any `json:"aws,omitempty"`
}

// daemon sends documents to the X-Ray daemon.
var daemon struct {
	once sync.Once
	conn net.Conn
}

func daemonAddr() string {
	addr := os.Getenv("AWS_XRAY_DAEMON_ADDRESS")
	for _, f := range strings.Fields(addr) { // "tcp:host:port udp:host:port"
		if u, ok := strings.CutPrefix(f, "udp:"); ok {
			return u
		}
	}
	if addr == "" || strings.Contains(addr, " ") {
		return "127.0.0.1:2000"
	}
	return addr
}

func emit(s subsegment) {
	daemon.once.Do(func() { daemon.conn, _ = net.Dial("udp", daemonAddr()) })
	if daemon.conn == nil {
		return
	}
	doc, err := json.Marshal(s)
	if err != nil {
		return
	}
	daemon.conn.Write(append([]byte("{\"format\": \"json\", \"version\": 1}\n"), doc...))
}

func newSpanID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func seconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// trace runs one call as a subsegment: the request gets the propagated
// trace header; the outcome and timings go to the daemon.
func trace(req *http.Request, do func(*http.Request) (*http.Response, error), aws bool) (*http.Response, error) {
	h, ok := traceFrom(req.Context())
	if !ok {
		return do(req)
	}
	s := subsegment{ID: newSpanID(), TraceID: h.root, ParentID: h.parent, Type: "subsegment", Namespace: "remote", Name: req.URL.Host}
	out := req.Clone(req.Context())
	out.Header.Set("X-Amzn-Trace-Id", "Root="+h.root+";Parent="+s.ID+";Sampled=1")
	start := time.Now()
	resp, err := do(out)
	s.StartTime, s.EndTime = seconds(start), seconds(time.Now())
	request := map[string]any{"method": req.Method, "url": req.URL.Scheme + "://" + req.URL.Host + req.URL.Path}
	s.HTTP = map[string]any{"request": request}
	if aws {
		s.Namespace, s.Name = "aws", awsmiddleware.GetServiceID(req.Context())
		s.AWS = map[string]any{"operation": awsmiddleware.GetOperationName(req.Context()), "region": awsmiddleware.GetRegion(req.Context())}
	}
	switch {
	case err != nil:
		s.Fault = true
	default:
		s.HTTP["response"] = map[string]any{"status": resp.StatusCode, "content_length": resp.ContentLength}
		s.Fault, s.Error, s.Throttle = resp.StatusCode >= 500, resp.StatusCode >= 400 && resp.StatusCode < 500, resp.StatusCode == http.StatusTooManyRequests
		if aws {
			if id := resp.Header.Get("X-Amzn-Requestid") + resp.Header.Get("X-Amz-Request-Id"); id != "" {
				s.AWS["request_id"] = id
			}
		}
	}
	emit(s)
	return resp, err
}

type tracedTransport struct{ next http.RoundTripper }

func (t tracedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return trace(req, t.next.RoundTrip, false)
}

type tracedDoer struct{ next aws.HTTPClient }

func (t tracedDoer) Do(req *http.Request) (*http.Response, error) { return trace(req, t.next.Do, true) }

// TraceHTTP returns c with X-Ray subsegments recorded for each request made
// within a traced invocation.
func TraceHTTP(c *http.Client) *http.Client {
	traced := *c
	next := c.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	traced.Transport = tracedTransport{next: next}
	return &traced
}

// MustAWSConfig loads the AWS SDK's default configuration, traced, for
// the main of the program name; it exits with status 2 if it cannot.
func MustAWSConfig(ctx context.Context, name string) aws.Config {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: aws config: %v\n", name, err)
		os.Exit(2)
	}
	TraceAWS(&cfg)
	return cfg
}

// TraceAWS adds X-Ray subsegments to every AWS SDK call made with cfg.
func TraceAWS(cfg *aws.Config) {
	next := cfg.HTTPClient
	if next == nil {
		next = http.DefaultClient
	}
	cfg.HTTPClient = tracedDoer{next: next}
}
