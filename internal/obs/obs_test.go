package obs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-xray-sdk-go/xray"

	"github.com/umlimages/umlimages/internal/obs"
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
	attrs := emf.Attrs(now, []string{"render"}, 12.5, 1)
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

// TestTraceHTTP: inside a traced request, the instrumented client records
// a subsegment for the outgoing call and propagates the trace header; the
// segment reaches the X-Ray daemon (a UDP listener here).
func TestTraceHTTP(t *testing.T) {
	daemon, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer daemon.Close()
	var traceHeader string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		traceHeader = r.Header.Get("X-Amzn-Trace-Id")
	}))
	defer srv.Close()

	c := obs.TraceHTTP(&http.Client{})
	if err := xray.Configure(xray.Config{DaemonAddr: daemon.LocalAddr().String()}); err != nil {
		t.Fatal(err)
	}
	ctx, seg := xray.BeginSegment(context.Background(), "render")
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/graphviz/svg", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	seg.Close(nil)
	if !strings.Contains(traceHeader, seg.TraceID) {
		t.Errorf("trace header %q does not carry trace %s", traceHeader, seg.TraceID)
	}
	daemon.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64<<10)
	n, _, err := daemon.ReadFrom(buf)
	if err != nil {
		t.Fatalf("no segment reached the daemon: %v", err)
	}
	if doc := string(buf[:n]); !strings.Contains(doc, seg.TraceID) || !strings.Contains(doc, `"namespace":"remote"`) || !strings.Contains(doc, srv.URL+"/graphviz/svg") {
		t.Errorf("segment document: %s", doc)
	}

	// Outside a traced request, calls go through untraced, without errors.
	resp, err = c.Get(srv.URL)
	if err != nil {
		t.Fatalf("untraced call: %v", err)
	}
	resp.Body.Close()
}
