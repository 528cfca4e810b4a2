package devstack

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// TestParsePorts: DEV_PORTS moves the parts it names and no other; a bad
// entry is an error naming it.
func TestParsePorts(t *testing.T) {
	a, err := ParsePorts("api=9101, UI=9102")
	if err != nil {
		t.Fatal(err)
	}
	if want := (Addrs{S3: Default.S3, Kroki: Default.Kroki, API: "127.0.0.1:9101", UI: "127.0.0.1:9102"}); a != want {
		t.Errorf("got %+v, want %+v", a, want)
	}
	if a, err := ParsePorts(""); err != nil || a != Default {
		t.Errorf("empty: %+v %v", a, err)
	}
	for _, bad := range []string{"api", "web=1", "api=0", "api=70000", "api=x"} {
		if _, err := ParsePorts(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestGroupRestartsLoudly: a part that dies is said to have died, loudly,
// and is started again; stopping the stack is not a death.
func TestGroupRestartsLoudly(t *testing.T) {
	var out lockedOut
	g := NewGroup(&out)
	if err := g.Supervise("part", nil, "/bin/sh", "-c", "echo up; sleep 0.1; exit 3"); err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(out.String(), "restarted") {
		time.Sleep(20 * time.Millisecond)
	}
	g.Stop()
	if got := out.String(); !strings.Contains(got, "[part]  !!! part exited unexpectedly (exit status 3): restarting it") || strings.Count(got, "up") < 2 {
		t.Errorf("log:\n%s", got)
	}
}

type lockedOut struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedOut) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedOut) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestHumanLine: a request's JSON record becomes one short line; other
// lines pass unchanged.
func TestHumanLine(t *testing.T) {
	rec := `{"time":"2026-12-01T13:06:39Z","level":"INFO","msg":"request served","Latency":0.412,"method":"GET","route":"GET /{type}/{format}/{encoded}","status":200,"type":"graphviz","format":"svg","cache":"hit","request_id":"x"}`
	if got, want := humanLine(rec), "GET /{type}/{format}/{encoded} 200 hit 0.4 ms (graphviz svg)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	for _, other := range []string{"render API listening", `{"msg":"start-up failed"}`, "{not json"} {
		if got := humanLine(other); got != other {
			t.Errorf("%q became %q", other, got)
		}
	}
}
