package obs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/umlimages/umlimages/internal/obs"
	"github.com/umlimages/umlimages/internal/testsupport/s3test"
)

func TestLoggerRequestID(t *testing.T) {
	var buf bytes.Buffer
	log := obs.NewLogger(&buf, slog.LevelInfo)
	lambdaCtx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "lambda-req"})
	log.InfoContext(lambdaCtx, "from lambda")
	log.InfoContext(obs.WithRequestID(context.Background(), "edge-req"), "from the edge")
	log.InfoContext(context.Background(), "no request")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{"lambda-req", "edge-req", ""}
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		got, _ := m["request_id"].(string)
		if got != want[i] {
			t.Errorf("line %d: request_id %q, want %q", i, got, want[i])
		}
	}
}

func TestEMF(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	now := time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC)
	emf := obs.NewEMF("NS", []string{"Service"},
		obs.MetricDef{Name: "Latency", Unit: obs.Milliseconds},
		obs.MetricDef{Name: "CacheHit", Unit: obs.Count})
	attrs := emf.Attrs(nil, now, []string{"render"}, 12.5, 1)
	log.LogAttrs(context.Background(), slog.LevelInfo, "m", attrs...)
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := `{"CloudWatchMetrics":[{"Dimensions":[["Service"]],"Metrics":[{"Name":"Latency","Unit":"Milliseconds"},{"Name":"CacheHit","Unit":"Count"}],"Namespace":"NS"}],"Timestamp":1795917600000}`
	if b, _ := json.Marshal(got["_aws"]); string(b) != want {
		t.Errorf("_aws: got %s, want %s", b, want)
	}
	if got["Service"] != "render" || got["Latency"] != 12.5 || got["CacheHit"] != 1.0 {
		t.Errorf("values: %v", got)
	}
}

// daemon is a UDP listener standing in for the X-Ray daemon; the tracing
// of this test binary sends to it.
var daemon = sync.OnceValue(func() net.PacketConn {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	os.Setenv("AWS_XRAY_DAEMON_ADDRESS", pc.LocalAddr().String())
	return pc
})

// next reads the next subsegment the daemon receives.
func next(t *testing.T) map[string]any {
	t.Helper()
	pc := daemon()
	pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64<<10)
	n, _, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatalf("no subsegment reached the daemon: %v", err)
	}
	header, doc, ok := strings.Cut(string(buf[:n]), "\n")
	if !ok || header != `{"format": "json", "version": 1}` {
		t.Fatalf("not the daemon protocol: %q", buf[:n])
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

const header = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"

// TestTraceHTTP: inside a traced invocation, an outgoing call becomes a
// subsegment of the function's segment, and the callee gets the trace.
func TestTraceHTTP(t *testing.T) {
	daemon()
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("X-Amzn-Trace-Id")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	c := obs.TraceHTTP(&http.Client{})
	req, _ := http.NewRequestWithContext(obs.WithTraceHeader(context.Background(), header), http.MethodGet, srv.URL+"/graphviz/svg?x=1", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	s := next(t)
	if s["trace_id"] != "1-5759e988-bd862e3fe1be46a994272793" || s["parent_id"] != "53995c3f42cd8ad8" || s["type"] != "subsegment" || s["namespace"] != "remote" || s["fault"] != true {
		t.Errorf("subsegment: %v", s)
	}
	if js(s["http"]) != `{"request":{"method":"GET","url":"`+srv.URL+`/graphviz/svg"},"response":{"content_length":0,"status":503}}` {
		t.Errorf("http: %s", js(s["http"]))
	}
	if want := "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=" + s["id"].(string) + ";Sampled=1"; got != want {
		t.Errorf("propagated header %q, want %q", got, want)
	}
	// Outside a traced invocation: no header, no subsegment.
	got = "unset"
	resp, err = c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got != "" {
		t.Errorf("an untraced call carried %q", got)
	}
}

// TestTraceAWS: an AWS SDK call inside a traced invocation is an "aws"
// subsegment naming the service and operation.
func TestTraceAWS(t *testing.T) {
	daemon()
	srv := s3test.Start(t)
	cfg := srv.Config(t)
	obs.TraceAWS(&cfg)
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint = aws.String(srv.URL); o.UsePathStyle = true })
	bucket := srv.Bucket(t, "traced")
	ctx := obs.WithTraceHeader(context.Background(), header)
	if _, err := client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	s := next(t)
	if s["namespace"] != "aws" || s["name"] != "S3" || js(s["aws"]) == "" || s["aws"].(map[string]any)["operation"] != "HeadBucket" {
		t.Errorf("subsegment: %v", s)
	}
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
