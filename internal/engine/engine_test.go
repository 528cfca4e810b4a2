package engine_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/engine"
	"github.com/umlimages/umlimages/internal/sandbox"
)

// TestMain lets this test binary be the D2 engine's child, as
// cmd/renderer is in `make dev`.
func TestMain(m *testing.M) {
	engine.RunChildIfAsked()
	os.Exit(m.Run())
}

func box(t testing.TB) *sandbox.Sandbox {
	t.Helper()
	b, err := sandbox.New(false)
	if err != nil {
		t.Fatalf("the sandbox cannot be built here (run `make engines`): %v", err)
	}
	return b
}

func self(t testing.TB) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

var shortLimits = sandbox.Spec{Env: []string{"PATH=/usr/bin:/bin"}, Limits: sandbox.Limits{MemoryBytes: 512 << 20, CPU: 30 * time.Second, FileBytes: 1 << 20, TmpBytes: 1 << 20}}

func TestSanitize(t *testing.T) {
	cases := []struct{ in, want string }{
		{"!include /etc/passwd", "' include removed by the sandbox"},
		{"  !includeurl http://x/y", "' include removed by the sandbox"},
		{"\f!include /etc/passwd", "' include removed by the sandbox"},
		{"\v!include /etc/passwd", "' include removed by the sandbox"},
		{"! include /etc/passwd", "' include removed by the sandbox"},
		{"!inc\\\nlude /etc/passwd\nA -> B", "' include removed by the sandbox\n\nA -> B"},
		{"!include_many foo.puml", "' include removed by the sandbox"},
		{"!includesub a.puml!X", "' include removed by the sandbox"},
		{"!import lib.zip", "' include removed by the sandbox"},
		{"!include <C4/C4_Container>", "!include <C4/C4_Container>"},
		{"!include <http://evil/x>", "' include removed by the sandbox"},
		{"Alice -> Bob: <img:http://169.254.169.254/x>", "Alice -> Bob: [image removed by the sandbox]"},
		{"Alice -> Bob: <img src=\"http://x\">", "Alice -> Bob: [image removed by the sandbox]"},
		{"A -> B: %getenv(\"HOME\")", "A -> B: %removed_by_the_sandbox(\"HOME\")"},
		{"A -> B: %file_exists(\"/etc\")", "A -> B: %removed_by_the_sandbox(\"/etc\")"},
		{"Alice -> Bob: hi", "Alice -> Bob: hi"},
	}
	for _, c := range cases {
		if got := string(engine.Sanitize([]byte(c.in))); got != c.want {
			t.Errorf("Sanitize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestRunnerKillsHungEngine: a process past its deadline is killed and the
// call returns ErrTimeout; the slot is free again.
func TestRunnerKillsHungEngine(t *testing.T) {
	r := engine.NewRunner(box(t), shortLimits, 1, 200*time.Millisecond)
	_, err := r.Run(context.Background(), nil, "/usr/bin/sleep", "30")
	if !errors.Is(err, diagram.ErrTimeout) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
	out, err := r.Run(context.Background(), []byte("hi"), "/usr/bin/cat")
	if err != nil || string(out) != "hi" {
		t.Fatalf("after a timeout: got %q, %v", out, err)
	}
	noEngineProcesses(t)
}

// TestRunnerBoundsConcurrency: with every slot taken, a caller waits no
// longer than its deadline.
func TestRunnerBoundsConcurrency(t *testing.T) {
	r := engine.NewRunner(box(t), shortLimits, 1, 2*time.Second)
	started := make(chan struct{})
	go func() {
		close(started)
		r.Run(context.Background(), nil, "/usr/bin/sleep", "30")
	}()
	<-started
	deadline := time.Now().Add(10 * time.Second)
	for len(engineProcesses(t)) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := r.Run(ctx, nil, "/usr/bin/true")
	if !errors.Is(err, diagram.ErrTimeout) || !strings.Contains(err.Error(), "free engine") {
		t.Fatalf("got %v, want a timeout waiting for a free engine", err)
	}
}

// TestOutputCapIsEnforced: stdout past the cap stops the process and is a
// 413-class error, not 40 MB in memory.
func TestOutputCapIsEnforced(t *testing.T) {
	r := engine.NewRunner(box(t), shortLimits, 1, 30*time.Second)
	for _, n := range []int{engine.MaxOutputBytes - 1, engine.MaxOutputBytes, engine.MaxOutputBytes + 1, 40 << 20} {
		out, err := r.Run(context.Background(), nil, "/usr/bin/head", "-c", strconv.Itoa(n), "/dev/zero")
		switch {
		case n <= engine.MaxOutputBytes && (err != nil || len(out) != n):
			t.Errorf("%d bytes: got %d bytes, %v; want them all", n, len(out), err)
		case n > engine.MaxOutputBytes && !errors.Is(err, diagram.ErrOutputTooLarge):
			t.Errorf("%d bytes: got %d bytes, %v; want ErrOutputTooLarge", n, len(out), err)
		}
	}
}

// TestChattyStderrDoesNotBlock: stderr past its cap is dropped, and the
// process runs to its end.
func TestChattyStderrDoesNotBlock(t *testing.T) {
	r := engine.NewRunner(box(t), shortLimits, 1, 30*time.Second)
	out, err := r.Run(context.Background(), nil, "/usr/bin/bash", "-c", "head -c 10000000 /dev/zero >&2; echo done")
	if err != nil || string(out) != "done\n" {
		t.Fatalf("got %q, %v; want the process to finish", out, err)
	}
}

// TestNoSandboxNoEngines: where bubblewrap is missing, every engine is
// refused with the reason, unless unsandboxed mode is asked for.
func TestNoSandboxNoEngines(t *testing.T) {
	dir := t.TempDir()
	for _, tool := range []string{"prlimit", "dot", "java"} {
		if err := os.Symlink("/usr/bin/"+tool, filepath.Join(dir, tool)); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", dir)
	if _, err := sandbox.New(false); !errors.Is(err, sandbox.ErrUnavailable) {
		t.Fatalf("sandbox.New without bwrap: got %v, want ErrUnavailable", err)
	}
	l := engine.NewLocal(engine.Config{Timeout: time.Second, Self: self(t)})
	if len(l.Engines) != 0 || len(l.Missing) != 1 || !strings.Contains(l.Missing[0], "LOCAL_ENGINES_UNSANDBOXED=1") {
		t.Errorf("without a sandbox: engines %v, missing %q; want none, with the way round named", l.Engines, l.Missing)
	}
	l = engine.NewLocal(engine.Config{Timeout: time.Second, Self: self(t), Unsandboxed: true})
	defer l.Close()
	if l.Sandboxed || l.Engines["graphviz"] == nil {
		t.Errorf("unsandboxed on request: sandboxed %v, engines %v", l.Sandboxed, l.Engines)
	}
}

// TestSandboxView: what a process in the sandbox sees of this machine.
func TestSandboxView(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secret, []byte("canary"), 0o644)
	t.Setenv("UMLIMAGES_CANARY", "env-canary")
	r := engine.NewRunner(box(t), shortLimits, 1, 30*time.Second)
	script := `
		id -u; cat /etc/passwd 2>&1; cat ` + secret + ` 2>&1; ls /usr/local; ls /proc | grep -c '^[0-9]'
		env; (exec 3<>/dev/tcp/127.0.0.1/22) 2>&1 || echo no-network; touch /usr/x 2>&1 || echo read-only`
	out, err := r.Run(context.Background(), nil, "/usr/bin/bash", "-c", script)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	got := string(out)
	for _, want := range []string{"65534\n", "No such file", "no-network", "read-only"} {
		if !strings.Contains(got, want) {
			t.Errorf("sandbox view lacks %q:\n%s", want, got)
		}
	}
	for _, leak := range []string{"root:x:0", "canary", "UMLIMAGES_CANARY"} {
		if strings.Contains(got, leak) {
			t.Errorf("sandbox view shows %q:\n%s", leak, got)
		}
	}
}

func TestPipeSource(t *testing.T) {
	cases := []struct {
		in, want string
		offset   int
	}{
		{"A -> B", "@startuml\nA -> B\n@enduml\n", 1},
		{"@startuml\nA -> B\n@enduml", "@startuml\nA -> B\n@enduml\n", 0},
		{"title\n\n@startuml\nA -> B\n@enduml\ntrailing", "@startuml\nA -> B\n@enduml\n", -2},
		{"@startuml\nA -> B\n  @enduml\n@startuml\nC -> D\n@enduml", "@startuml\nA -> B\n@enduml\n", 0},
		{"@startuml\nA -> B\r@enduml\r@startuml\nX\n@enduml", "@startuml\nA -> B\n@enduml\n", 0},
		{"@startuml\n@@@format png\nA -> B", "@startuml\n @@@format png\nA -> B\n@enduml\n", 0},
		{"@startmindmap\n* a", "@startmindmap\n* a\n@endmindmap\n", 0},
	}
	for _, c := range cases {
		got, offset := engine.PipeSource([]byte(c.in), "uml", "")
		if string(got) != c.want || offset != c.offset {
			t.Errorf("pipeSource(%q) = %q, %d; want %q, %d", c.in, got, offset, c.want, c.offset)
		}
	}
}

// engineProcesses lists the processes below this test process.
func engineProcesses(t testing.TB) []string {
	t.Helper()
	parent := map[int]int{}
	names := map[int]string{}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, st := range stats {
		b, err := os.ReadFile(st)
		if err != nil {
			continue
		}
		s := string(b)
		open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || closing < 0 {
			continue
		}
		pid, _ := strconv.Atoi(strings.TrimSpace(s[:open]))
		fields := strings.Fields(s[closing+1:])
		if len(fields) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(fields[1])
		parent[pid], names[pid] = ppid, s[open+1:closing]
	}
	me := os.Getpid()
	var out []string
	for pid := range parent {
		for p := parent[pid]; p > 1; p = parent[p] {
			if p == me {
				out = append(out, names[pid]+" "+strconv.Itoa(pid))
				break
			}
		}
	}
	return out
}

// noEngineProcesses fails when any process started by this test process
// is still running (waiting briefly for ones being reaped).
func noEngineProcesses(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := engineProcesses(t)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("engine processes left behind: %v", left)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// emptyDir fails unless dir holds nothing.
func emptyDir(t testing.TB, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) > 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("temporary files left behind in %s: %v", dir, names)
	}
}
