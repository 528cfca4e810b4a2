package engine

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"

	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/sandbox"
)

// jvmPool holds the warm JVMs of one output mode.
type jvmPool struct {
	p      *PlantUML
	mode   string
	idle   chan *jvm
	slots  chan struct{} // one per live JVM
	mu     sync.Mutex
	closed bool
}

func (pool *jvmPool) get(ctx context.Context) (*jvm, error) {
	select {
	case j := <-pool.idle:
		return j, nil
	default:
	}
	select {
	case j := <-pool.idle:
		return j, nil
	case pool.slots <- struct{}{}:
		j, err := pool.p.start(pool.mode)
		if err != nil {
			<-pool.slots
			return nil, err
		}
		return j, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("plantuml: %w: waited for a free JVM", diagram.ErrTimeout)
	}
}

// put returns j to the pool, or stops it (and frees its slot once it has
// exited) when it is unhealthy or the pool is closed.
func (pool *jvmPool) put(j *jvm, healthy bool) {
	pool.mu.Lock()
	defer pool.mu.Unlock()
	if healthy && !pool.closed {
		pool.idle <- j
		return
	}
	j.stop()
	<-pool.slots
}

func (pool *jvmPool) close() {
	pool.mu.Lock()
	pool.closed = true
	pool.mu.Unlock()
	for {
		select {
		case j := <-pool.idle:
			j.stop()
			<-pool.slots
		default:
			return
		}
	}
}

// jvm is one PlantUML process in pipe mode.
type jvm struct {
	p      *PlantUML
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
	stderr *stderrTail
	delim  []byte
	exited chan struct{}
}

func (p *PlantUML) start(mode string) (*jvm, error) {
	delim := "--umlimages-" + randomHex(16) + "--"
	args := append(append([]string{}, jvmHeap...), "-Djava.awt.headless=true", "-Dfile.encoding=UTF-8",
		"-jar", p.opts.Jar, "-pipe", "-charset", "UTF-8", "-nbthread", "1", "-t"+mode, "-pipedelimitor", delim)
	cmd := p.box.Command(context.Background(), p.spec, p.opts.Java, args...)
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	stdin, err := cmd.StdinPipe()
	if err == nil {
		err = cmd.Start()
	}
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return nil, fmt.Errorf("plantuml: start a JVM: %w: %v", diagram.ErrUnavailable, err)
	}
	tail, err := newStderrTail(errR)
	if err != nil {
		cmd.Process.Kill()
		return nil, err
	}
	j := &jvm{p: p, cmd: cmd, stdin: stdin, stdout: bufio.NewReaderSize(outR, 64<<10), stderr: tail,
		delim: []byte(delim + "\n"), exited: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		p.peak.record(sandbox.PeakRSS(cmd.ProcessState))
		outR.Close()
		errR.Close()
		p.opts.Log.Info("plantuml jvm exited", "mode", mode, "pid", cmd.Process.Pid, "status", fmt.Sprint(err))
		close(j.exited)
	}()
	p.opts.Log.Info("plantuml jvm started", "mode", mode, "pid", cmd.Process.Pid)
	return j, nil
}

// kill ends the JVM and, with it, its sandbox, first reading its peak
// resident set (a killed sandbox's rusage is lost).
func (j *jvm) kill() {
	j.p.peak.record(sandbox.TreePeakRSS(j.cmd.Process.Pid))
	syscall.Kill(-j.cmd.Process.Pid, syscall.SIGKILL)
}

// stop kills the JVM and waits until it is gone.
func (j *jvm) stop() {
	j.kill()
	<-j.exited
}

// The ways a JVM's render can fail; the JVM is replaced after either.
var (
	// errDesync: its output did not frame as expected.
	errDesync = errors.New("plantuml: pipe output out of step")
	// errJVMStopped: it exited (or stopped answering) during the render.
	errJVMStopped = errors.New("plantuml: the JVM stopped during the render")
)

// render sends one diagram and then a sync diagram carrying a fresh nonce,
// and reads both outputs. The delimiter alone cannot be trusted to end an
// output (a diagram can learn it and print it); the nonce, unknown to the
// diagram, proves the second frame is the sync's own, so the first frame
// is exactly the diagram's output.
func (j *jvm) render(ctx context.Context, f diagram.Format, framed []byte) ([]byte, string, error) {
	nonce := randomHex(12)
	var in bytes.Buffer
	if f == diagram.SVG || f == diagram.PNG {
		fmt.Fprintf(&in, "@@@format %s\n", f)
	}
	in.Write(framed)
	if f == diagram.PNG {
		in.WriteString("@@@format svg\n")
	}
	fmt.Fprintf(&in, "@startuml\nparticipant %s\n@enduml\n", nonce)
	written := make(chan error, 1)
	go func() {
		_, err := j.stdin.Write(in.Bytes())
		written <- err
	}()
	stop := context.AfterFunc(ctx, j.kill)
	defer stop()
	out, err := j.frame(MaxOutputBytes)
	if errors.Is(err, errCapped) {
		j.kill()
		<-written
		return nil, "", diagram.Errorf(diagram.ErrOutputTooLarge, "The PlantUML output exceeds the renderer's %d MiB cap.", MaxOutputBytes>>20)
	}
	var sync []byte
	if err == nil {
		sync, err = j.frame(64 << 10)
	}
	if werr := <-written; err == nil {
		err = werr
	}
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w: %v", errJVMStopped, diagram.ErrUnavailable, err)
	}
	if !bytes.Contains(sync, []byte(nonce)) {
		return nil, "", fmt.Errorf("%w: %w", errDesync, diagram.ErrUnavailable)
	}
	return out, j.stderr.drain(), nil
}

// frame reads one output, up to the delimiter line.
func (j *jvm) frame(maxBytes int) ([]byte, error) {
	var buf []byte
	for {
		chunk, err := j.stdout.ReadSlice('\n')
		buf = append(buf, chunk...)
		if bytes.HasSuffix(buf, j.delim) {
			return buf[:len(buf)-len(j.delim)], nil
		}
		if len(buf) > maxBytes {
			return nil, errCapped
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return nil, err
		}
	}
}

// stderrTail keeps the last bytes a JVM wrote on stderr. PlantUML reports
// a diagram's error there before it writes the delimiter on stdout, so
// once the delimiter is read, drain has everything about that diagram:
// reads happen under one lock, from the kernel's pipe buffer if not yet
// taken by the background reader.
type stderrTail struct {
	rc  syscall.RawConn
	mu  sync.Mutex
	buf []byte
}

func newStderrTail(f *os.File) (*stderrTail, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	t := &stderrTail{rc: rc}
	go rc.Read(func(fd uintptr) bool {
		t.mu.Lock()
		defer t.mu.Unlock()
		return t.readAvailable(int(fd))
	})
	return t, nil
}

// readAvailable reads what the pipe holds; true at end of file.
func (t *stderrTail) readAvailable(fd int) bool {
	var b [4096]byte
	for {
		n, err := syscall.Read(fd, b[:])
		switch {
		case n > 0:
			t.buf = append(t.buf, b[:n]...)
			if len(t.buf) > maxStderrBytes {
				t.buf = t.buf[len(t.buf)-maxStderrBytes:]
			}
		case err == syscall.EINTR:
		case err == syscall.EAGAIN:
			return false
		default:
			return true
		}
	}
}

func (t *stderrTail) drain() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.rc.Control(func(fd uintptr) { t.readAvailable(int(fd)) })
	s := string(t.buf)
	t.buf = t.buf[:0]
	return s
}
