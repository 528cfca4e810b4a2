package engine_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/engine"
)

func TestSanitize(t *testing.T) {
	cases := []struct{ in, want string }{
		{"!include /etc/passwd", "' include removed by the sandbox"},
		{"  !includeurl http://x/y", "' include removed by the sandbox"},
		{"!include_many foo.puml", "' include removed by the sandbox"},
		{"!includesub a.puml!X", "' include removed by the sandbox"},
		{"!import lib.zip", "' include removed by the sandbox"},
		{"!include <C4/C4_Container>", "!include <C4/C4_Container>"},
		{"!include <http://evil/x>", "' include removed by the sandbox"},
		{"Alice -> Bob: <img:http://169.254.169.254/x>", "Alice -> Bob: <img:blocked://169.254.169.254/x>"},
		{"Alice -> Bob: hi", "Alice -> Bob: hi"},
	}
	for _, c := range cases {
		if got := string(engine.Sanitize([]byte(c.in))); got != c.want {
			t.Errorf("Sanitize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestRunnerKillsHungEngine: a process past its deadline is killed and the
// call returns ErrTimeout.
func TestRunnerKillsHungEngine(t *testing.T) {
	r := engine.NewRunner(1, 200*time.Millisecond)
	_, err := r.Run(context.Background(), nil, nil, "sleep", "30")
	if !errors.Is(err, diagram.ErrTimeout) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
	// The slot is free again: a quick process runs.
	out, err := r.Run(context.Background(), []byte("hi"), nil, "cat")
	if err != nil || string(out) != "hi" {
		t.Fatalf("after a timeout: got %q, %v", out, err)
	}
}

// TestRunnerBoundsConcurrency: with every slot taken, a caller waits no
// longer than its deadline.
func TestRunnerBoundsConcurrency(t *testing.T) {
	r := engine.NewRunner(1, 2*time.Second)
	marker := filepath.Join(t.TempDir(), "running")
	go r.Run(context.Background(), nil, nil, "sh", "-c", "touch "+marker+"; sleep 30")
	for { // wait until the first process holds the only slot
		if _, err := os.Stat(marker); err == nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := r.Run(ctx, nil, nil, "true")
	if !errors.Is(err, diagram.ErrTimeout) || !strings.Contains(err.Error(), "free engine") {
		t.Fatalf("got %v, want a timeout waiting for a free engine", err)
	}
}
