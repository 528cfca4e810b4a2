package probe_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/umlimages/umlimages/internal/config"
	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/engine"
	"github.com/umlimages/umlimages/internal/probe"
	"github.com/umlimages/umlimages/internal/sandbox"
	"github.com/umlimages/umlimages/internal/testsupport/stacktest"
)

func check(t *testing.T, r probe.Result, name, engine string) probe.Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.Name == name && c.Engine == engine {
			return c
		}
	}
	t.Fatalf("no %s check for %q in %+v", name, engine, r.Checks)
	return probe.Check{}
}

func TestPassAgainstTheLocalStack(t *testing.T) {
	s := stacktest.Start(t, stacktest.Options{})
	p := probe.New(&http.Client{}, probe.Options{Timeout: 30 * time.Second, LatencyBudget: time.Minute})
	r := p.Probe(context.Background(), probe.Target{Name: "local", URL: s.API.URL, KrokiURL: s.Renderer.URL})
	if r.Status != probe.Pass {
		t.Fatalf("status %s: %+v", r.Status, r.Checks)
	}
	for _, e := range stacktest.LocalTypes() {
		check(t, r, "render", e)
		check(t, r, "kroki", e)
	}
	check(t, r, "health", "")
	check(t, r, "cached", stacktest.LocalTypes()[0])
	// A second run renders fresh canaries: misses, not stale hits.
	again := p.Probe(context.Background(), probe.Target{Name: "local", URL: s.API.URL})
	if again.Status != probe.Pass {
		t.Fatalf("second run: %s %+v", again.Status, again.Checks)
	}
}

func TestRendererStopped(t *testing.T) {
	s := stacktest.Start(t, stacktest.Options{})
	s.Renderer.Close()
	p := probe.New(&http.Client{}, probe.Options{Engines: []string{"graphviz", "plantuml"}, Timeout: 10 * time.Second})
	r := p.Probe(context.Background(), probe.Target{Name: "primary", URL: s.API.URL})
	if r.Status != probe.Fail {
		t.Fatalf("status %s, want fail: %+v", r.Status, r.Checks)
	}
	for _, e := range []string{"graphviz", "plantuml"} {
		if c := check(t, r, "render", e); c.Status != probe.Fail || !strings.Contains(c.Error, "503") {
			t.Errorf("render %s: %+v", e, c)
		}
	}
	if c := check(t, r, "health", ""); c.Status != probe.Fail || !strings.Contains(c.Error, "fail") {
		t.Errorf("health: %+v, want the API's own fail", c)
	}
}

func TestAPIDown(t *testing.T) {
	s := stacktest.Start(t, stacktest.Options{})
	s.API.Close()
	r := probe.New(&http.Client{}, probe.Options{Timeout: 5 * time.Second}).Probe(context.Background(), probe.Target{Name: "primary", URL: s.API.URL})
	if r.Status != probe.Fail || !strings.HasPrefix(check(t, r, "health", "").Error, "unreachable") {
		t.Fatalf("API down: %s %+v", r.Status, r.Checks)
	}
}

// brokenDot is graphviz with a dot that always fails.
func brokenDot(t *testing.T) engine.Engine {
	box, err := sandbox.New(false)
	if err != nil {
		t.Fatal(err)
	}
	return engine.NewGraphviz(box, "/bin/false", 1, 10*time.Second)
}

func TestOneEngineBroken(t *testing.T) {
	s := stacktest.Start(t, stacktest.Options{Engines: map[string]engine.Engine{"graphviz": brokenDot(t)}})
	p := probe.New(&http.Client{}, probe.Options{Engines: []string{"graphviz", "d2"}, Timeout: 30 * time.Second, LatencyBudget: time.Minute})
	r := p.Probe(context.Background(), probe.Target{Name: "primary", URL: s.API.URL})
	if r.Status != probe.Warn {
		t.Fatalf("status %s, want warn: %+v", r.Status, r.Checks)
	}
	if c := check(t, r, "render", "graphviz"); c.Status != probe.Fail {
		t.Errorf("graphviz: %+v, want it named as failing", c)
	}
	if c := check(t, r, "render", "d2"); c.Status != probe.Pass {
		t.Errorf("d2: %+v", c)
	}
}

// slow is an engine that answers long after any timeout.
type slow struct{}

func (slow) Formats() []diagram.Format { return []diagram.Format{diagram.SVG} }
func (slow) Version() string           { return "slow" }
func (slow) Options() []string         { return nil }
func (slow) Render(ctx context.Context, _ diagram.Format, _ []byte, _ diagram.Options) ([]byte, error) {
	select {
	case <-time.After(30 * time.Second):
	case <-ctx.Done():
	}
	return []byte("<svg/>"), nil
}

func TestSlowRendererHitsTheTimeout(t *testing.T) {
	s := stacktest.Start(t, stacktest.Options{Engines: map[string]engine.Engine{"d2": slow{}}, Timeout: 2 * time.Second})
	const timeout = 500 * time.Millisecond
	p := probe.New(&http.Client{}, probe.Options{Engines: []string{"d2", "graphviz"}, Timeout: timeout, LatencyBudget: time.Minute})
	r := p.Probe(context.Background(), probe.Target{Name: "primary", URL: s.API.URL})
	c := check(t, r, "render", "d2")
	if c.Status != probe.Fail || !strings.Contains(c.Error, "timed out") {
		t.Fatalf("slow engine: %+v", c)
	}
	// The probe's budget is its checks' timeout: they run at once.
	if budget := 4 * timeout; r.DurationMs > float64(budget.Milliseconds()) {
		t.Errorf("the probe took %.0f ms, over its budget %s", r.DurationMs, budget)
	}
	if r.Status == probe.Pass {
		t.Errorf("status pass with a timed-out engine")
	}
}

func TestLatencyOverBudgetWarns(t *testing.T) {
	s := stacktest.Start(t, stacktest.Options{})
	p := probe.New(&http.Client{}, probe.Options{Engines: []string{"plantuml"}, Timeout: 30 * time.Second, LatencyBudget: time.Nanosecond})
	if r := p.Probe(context.Background(), probe.Target{Name: "primary", URL: s.API.URL}); r.Status != probe.Warn {
		t.Fatalf("status %s, want warn for checks over the latency budget", r.Status)
	}
}

// TestEMF: every check's line and the verdict's line are valid EMF records
// with the right values.
func TestEMF(t *testing.T) {
	r := probe.Result{Target: "primary", Status: probe.Warn, DurationMs: 120, Checks: []probe.Check{
		{Name: "health", Status: probe.Pass, LatencyMs: 3.5},
		{Name: "render", Engine: "graphviz", Status: probe.Fail, LatencyMs: 40, Error: "HTTP 503"},
	}}
	var buf bytes.Buffer
	probe.NewReporter(slog.New(slog.NewJSONHandler(&buf, nil)), "UMLImages/Probe").Report(context.Background(), r)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 3 (two checks, one verdict)", len(lines))
	}
	want := []map[string]any{
		{"Target": "primary", "Check": "health", "Availability": 1.0, "Latency": 3.5},
		{"Target": "primary", "Check": "render:graphviz", "Availability": 0.0, "Latency": 40.0},
		{"Target": "primary", "ProbeAvailability": 1.0, "ProbeDegraded": 1.0, "ProbeDuration": 120.0},
	}
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		aws := m["_aws"].(map[string]any)
		if _, ok := aws["Timestamp"].(float64); !ok {
			t.Errorf("line %d: no Timestamp", i)
		}
		d := aws["CloudWatchMetrics"].([]any)[0].(map[string]any)
		if d["Namespace"] != "UMLImages/Probe" {
			t.Errorf("line %d namespace: %v", i, d["Namespace"])
		}
		for _, dims := range d["Dimensions"].([]any) {
			for _, dim := range dims.([]any) {
				if _, ok := m[dim.(string)].(string); !ok {
					t.Errorf("line %d: dimension %v has no value", i, dim)
				}
			}
		}
		for _, metric := range d["Metrics"].([]any) {
			if _, ok := m[metric.(map[string]any)["Name"].(string)].(float64); !ok {
				t.Errorf("line %d: metric %v has no value", i, metric)
			}
		}
		for k, v := range want[i] {
			if m[k] != v {
				t.Errorf("line %d: %s = %v, want %v", i, k, m[k], v)
			}
		}
	}
}

func TestHandleNeedsTargets(t *testing.T) {
	p := probe.New(&http.Client{}, probe.Options{})
	rep := probe.NewReporter(slog.New(slog.DiscardHandler), "x")
	if _, err := probe.Handle(context.Background(), p, rep, probe.Event{}); err != probe.ErrNoTargets {
		t.Fatalf("got %v, want ErrNoTargets", err)
	}
}

// TestProbePassesTheOriginLock: against an API that serves its
// distribution only, the probe passes with the secret and fails without.
func TestProbePassesTheOriginLock(t *testing.T) {
	s := stacktest.Start(t, stacktest.Options{OriginSecret: "edge-secret"})
	o := probe.Options{Engines: []string{"graphviz"}, Timeout: 30 * time.Second, LatencyBudget: time.Minute}
	if r := probe.New(&http.Client{}, o).Probe(context.Background(), probe.Target{Name: "locked", URL: s.API.URL}); r.Status != probe.Fail {
		t.Errorf("without the secret: %s, want fail", r.Status)
	}
	o.Header = config.OriginHeaders("edge-secret")
	if r := probe.New(&http.Client{}, o).Probe(context.Background(), probe.Target{Name: "locked", URL: s.API.URL}); r.Status != probe.Pass {
		t.Errorf("with the secret: %s %+v", r.Status, r.Checks)
	}
}

// TestCanariesAreNotData: the probe's fresh canaries are rendered but not
// stored: three runs leave the data bucket as one run leaves it (the
// cached-path check keeps one stable canary).
func TestCanariesAreNotData(t *testing.T) {
	s := stacktest.Start(t, stacktest.Options{})
	ctx := context.Background()
	client := s.S3.Client(t)
	objects := func() int {
		out, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &s.Bucket})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Contents)
	}
	p := probe.New(&http.Client{}, probe.Options{Engines: []string{"graphviz", "plantuml"}, Timeout: 30 * time.Second, LatencyBudget: time.Minute})
	run := func() {
		if r := p.Probe(ctx, probe.Target{Name: "local", URL: s.API.URL}); r.Status != probe.Pass {
			t.Fatalf("probe: %s %+v", r.Status, r.Checks)
		}
	}
	run()
	one := objects()
	run()
	run()
	if three := objects(); three != one || one > 1 {
		t.Errorf("objects after one probe run: %d, after three: %d; want the one cached canary", one, three)
	}
}
