package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/sandbox"
)

// MaxOutputBytes bounds what an engine process may write on stdout; its
// stderr is kept to maxStderrBytes.
const (
	MaxOutputBytes = 32 << 20
	maxStderrBytes = 64 << 10
)

// Runner runs one engine's processes in the sandbox: at most a fixed
// number at once, each with a deadline, killed with everything it started
// when it runs over or writes past its output cap. A slot is free again
// only once its process has been reaped.
type Runner struct {
	box     *sandbox.Sandbox
	spec    sandbox.Spec
	slots   chan struct{}
	timeout time.Duration
	peak    peak
}

// NewRunner returns a runner allowing concurrency processes at once, each
// for at most timeout, under spec.
func NewRunner(box *sandbox.Sandbox, spec sandbox.Spec, concurrency int, timeout time.Duration) *Runner {
	return &Runner{box: box, spec: spec, slots: make(chan struct{}, concurrency), timeout: timeout}
}

// PeakRSS is the largest peak resident set of any process this runner ran.
func (r *Runner) PeakRSS() int64 { return r.peak.max() }

// peak is the largest of the values recorded, safe for concurrent use.
type peak struct{ v atomic.Int64 }

func (p *peak) record(v int64) {
	for old := p.v.Load(); v > old && !p.v.CompareAndSwap(old, v); old = p.v.Load() {
	}
}

func (p *peak) max() int64 { return p.v.Load() }

// errExit is an engine process's unsuccessful end, with what it printed.
type errExit struct {
	code   int            // exit status; -1 when killed by a signal
	signal syscall.Signal // the signal that ended it, if any
	stderr string
}

func (e *errExit) Error() string {
	if e.code < 0 {
		return fmt.Sprintf("killed by %s: %s", e.signal, e.stderr)
	}
	return fmt.Sprintf("exit status %d: %s", e.code, e.stderr)
}

// Run runs name with args, feeding stdin; it returns stdout, and an
// *errExit when the process ends unsuccessfully.
func (r *Runner) Run(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	select {
	case r.slots <- struct{}{}:
		defer func() { <-r.slots }()
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w: waited %s for a free engine", name, diagram.ErrTimeout, r.timeout)
	}
	kill, stop := context.WithCancel(ctx)
	defer stop()
	cmd := r.box.Command(kill, r.spec, name, args...)
	// A process killed at its deadline is never reaped by bwrap, so its
	// rusage is lost: read its peak just before the kill.
	killTree := cmd.Cancel
	cmd.Cancel = func() error {
		r.peak.record(sandbox.TreePeakRSS(cmd.Process.Pid))
		return killTree()
	}
	cmd.Stdin = bytes.NewReader(stdin)
	stdout := &cappedBuffer{max: MaxOutputBytes, over: stop}
	stderr := &cappedBuffer{max: maxStderrBytes}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	r.peak.record(sandbox.PeakRSS(cmd.ProcessState))
	switch {
	case stdout.full:
		return nil, diagram.Errorf(diagram.ErrOutputTooLarge, "The %s output exceeds the renderer's %d MiB cap.", name, MaxOutputBytes>>20)
	case ctx.Err() != nil:
		return nil, fmt.Errorf("%s: %w after %s", name, diagram.ErrTimeout, r.timeout)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		e := &errExit{code: ee.ExitCode(), stderr: stderr.String()}
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			e.signal = ws.Signal()
		} else if e.code > 128 && e.code < 160 {
			// bwrap reports a child's death by signal N as 128+N.
			e.code, e.signal = -1, syscall.Signal(e.code-128)
		}
		return stdout.Bytes(), e
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", name, diagram.ErrUnavailable, err)
	}
	return stdout.Bytes(), nil
}

// cappedBuffer keeps at most max bytes. Past that, with over set, it calls
// over (which kills the writer) and fails every write; without it, it
// discards the rest, so a chatty stderr never blocks the process. It is an
// io.Writer only, so os/exec copies through Write and the cap holds.
type cappedBuffer struct {
	buf  bytes.Buffer
	max  int
	full bool
	over func()
}

var errCapped = errors.New("engine: output cap reached")

func (c *cappedBuffer) Write(p []byte) (int, error) {
	room := c.max - c.buf.Len()
	if len(p) <= room {
		return c.buf.Write(p)
	}
	c.buf.Write(p[:room])
	if c.over == nil {
		return len(p), nil
	}
	if !c.full {
		c.over()
	}
	c.full = true
	return room, errCapped
}

func (c *cappedBuffer) Bytes() []byte  { return c.buf.Bytes() }
func (c *cappedBuffer) String() string { return c.buf.String() }

// limitError turns an engine's death by one of the sandbox's limits into
// the error a client reads: too big for the memory cap (413), or over its
// CPU time (504). It returns nil when the exit was not a limit's doing.
func limitError(name string, e *errExit, limits sandbox.Limits) error {
	switch e.signal {
	case syscall.SIGXCPU, syscall.SIGKILL:
		return fmt.Errorf("%s: %w: over its %s CPU-time cap", name, diagram.ErrTimeout, limits.CPU)
	case syscall.SIGSEGV, syscall.SIGABRT, syscall.SIGBUS:
		return diagram.Errorf(diagram.ErrTooLarge, "The diagram needs more memory than the renderer allows (%d MiB).", limits.MemoryBytes>>20)
	}
	return nil
}
