package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"syscall"
	"time"

	"github.com/umlimages/umlimages/internal/diagram"
)

// MaxOutputBytes bounds what an engine process may write.
const MaxOutputBytes = 32 << 20

// Runner runs engine processes: at most a fixed number at once, each with a
// deadline, killed with its whole process group when it runs over, so a
// hung engine never hangs the server.
type Runner struct {
	slots   chan struct{}
	timeout time.Duration
}

// NewRunner returns a runner allowing concurrency processes at once, each
// for at most timeout.
func NewRunner(concurrency int, timeout time.Duration) *Runner {
	return &Runner{slots: make(chan struct{}, concurrency), timeout: timeout}
}

// errExit is an engine process's non-zero exit, with what it printed.
type errExit struct {
	code   int
	stderr string
}

func (e *errExit) Error() string { return fmt.Sprintf("exit status %d: %s", e.code, e.stderr) }

// Run runs name with args and env, feeding stdin; it returns stdout, and an
// *errExit when the process exits non-zero.
func (r *Runner) Run(ctx context.Context, stdin []byte, env []string, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	select {
	case r.slots <- struct{}{}:
		defer func() { <-r.slots }()
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w: waited %s for a free engine", name, diagram.ErrTimeout, r.timeout)
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	cmd.Stdin = bytes.NewReader(stdin)
	stdout := &cappedBuffer{max: MaxOutputBytes}
	var stderr cappedBuffer
	stderr.max = 64 << 10
	cmd.Stdout, cmd.Stderr = stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("%s: %w after %s", name, diagram.ErrTimeout, r.timeout)
	}
	if stdout.over {
		return nil, fmt.Errorf("%s: %w", name, diagram.ErrOutputTooLarge)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return stdout.Bytes(), &errExit{code: ee.ExitCode(), stderr: stderr.String()}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", name, diagram.ErrUnavailable, err)
	}
	return stdout.Bytes(), nil
}

// cappedBuffer keeps at most max bytes and notes whether more came.
type cappedBuffer struct {
	bytes.Buffer
	max  int
	over bool
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if room := c.max - c.Len(); len(p) > room {
		c.over = true
		c.Buffer.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return c.Buffer.Write(p)
}
