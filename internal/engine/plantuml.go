package engine

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/sandbox"
)

// jvmHeap are the JVM's own caps: heap, metaspace and code cache, so the
// JVM fails a render (and exits, to be replaced) long before the sandbox's
// address-space cap.
var jvmHeap = []string{"-Xmx384m", "-XX:MaxMetaspaceSize=128m", "-XX:ReservedCodeCacheSize=64m",
	"-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError"}

// PlantUMLOptions configure the PlantUML engine.
type PlantUMLOptions struct {
	Java, Jar string
	// Pool is how many JVMs may serve each output mode at once.
	Pool int
	// Timeout bounds one render; a JVM that runs over is killed.
	Timeout time.Duration
	// Filter removes include, URL and file features from sources before
	// PlantUML sees them: defence in depth, the sandbox is the defence.
	Filter bool
	// MaxRSS replaces a JVM whose resident set passes it after a render
	// (default 1 GiB).
	MaxRSS int64
	Log    *slog.Logger
}

// PlantUML renders PlantUML and C4-PlantUML (and ditaa, through Ditaa)
// with warm JVMs fed through PlantUML's pipe mode, each JVM in the sandbox.
// SVG and PNG share JVMs (the format is switched per diagram with
// "@@@format"); txt and utxt have JVMs of their own, started on first use.
type PlantUML struct {
	opts    PlantUMLOptions
	box     *sandbox.Sandbox
	spec    sandbox.Spec
	pools   map[string]*jvmPool
	peak    atomic.Int64
	version onceString
}

// NewPlantUML returns the engine; no JVM starts before the first render.
func NewPlantUML(box *sandbox.Sandbox, o PlantUMLOptions) *PlantUML {
	if o.MaxRSS == 0 {
		o.MaxRSS = 1 << 30
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	o.Java = javaHome(o.Java)
	limits := JVMLimits
	limits.CPU = 24 * time.Hour // a warm JVM lives long: its renders are bounded by Timeout instead
	conf, _ := filepath.Glob("/etc/java-*")
	p := &PlantUML{opts: o, box: box, spec: sandbox.Spec{ReadOnly: conf, Env: engineEnv(), Limits: limits}}
	p.pools = map[string]*jvmPool{}
	for _, mode := range []string{"svg", "txt", "utxt"} {
		p.pools[mode] = &jvmPool{p: p, mode: mode, idle: make(chan *jvm, o.Pool), slots: make(chan struct{}, o.Pool)}
	}
	return p
}

// Formats are the ones Debian's PlantUML renders without extra libraries.
func (p *PlantUML) Formats() []diagram.Format {
	return []diagram.Format{diagram.SVG, diagram.PNG, diagram.TXT, diagram.UTXT}
}

// PeakRSS is the largest peak resident set any of its JVMs reached.
func (p *PlantUML) PeakRSS() int64 { return p.peak.Load() }

// Render draws a PlantUML diagram.
func (p *PlantUML) Render(ctx context.Context, f diagram.Format, src []byte, _ diagram.Options) ([]byte, error) {
	if p.opts.Filter {
		src = Sanitize(src)
	}
	return p.render(ctx, f, src, "uml")
}

// Ditaa is the ditaa engine PlantUML embeds (@startditaa), in the same JVMs.
func (p *PlantUML) Ditaa() Engine { return ditaa{p} }

type ditaa struct{ p *PlantUML }

func (d ditaa) Formats() []diagram.Format { return []diagram.Format{diagram.SVG, diagram.PNG} }
func (d ditaa) Version() string           { return "ditaa (" + d.p.Version() + ")" }
func (d ditaa) Render(ctx context.Context, f diagram.Format, src []byte, _ diagram.Options) ([]byte, error) {
	return d.p.render(ctx, f, src, "ditaa")
}

// Close stops every JVM.
func (p *PlantUML) Close() error {
	for _, pool := range p.pools {
		pool.close()
	}
	return nil
}

func (p *PlantUML) render(ctx context.Context, f diagram.Format, src []byte, kind string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
	defer cancel()
	mode := string(f)
	if f == diagram.PNG {
		mode = "svg"
	}
	pool := p.pools[mode]
	j, err := pool.get(ctx)
	if err != nil {
		return nil, err
	}
	framed, offset := pipeSource(src, kind)
	out, stderr, err := j.render(ctx, f, framed)
	healthy := err == nil && sandbox.TreeRSS(j.cmd.Process.Pid) < p.opts.MaxRSS
	p.record(sandbox.TreePeakRSS(j.cmd.Process.Pid))
	pool.put(j, healthy) // an unhealthy JVM has exited when put returns
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, fmt.Errorf("plantuml: %w after %s", diagram.ErrTimeout, p.opts.Timeout)
	case errors.Is(err, errJVMStopped) && j.cmd.ProcessState.ExitCode() == jvmOutOfMemory:
		return nil, diagram.Errorf(diagram.ErrTooLarge, "The diagram needs more memory than the renderer allows (a %s heap).", strings.TrimPrefix(jvmHeap[0], "-Xmx"))
	case errors.Is(err, errJVMStopped):
		return nil, &diagram.SyntaxError{Status: 400, Message: "PlantUML stopped while rendering this diagram."}
	case err != nil:
		return nil, err
	case pipeError(stderr):
		return nil, plantumlError(stderr, offset)
	case len(out) == 0:
		return nil, &diagram.SyntaxError{Status: 400, Message: "PlantUML produced no output for this source."}
	case errorScreen(f, out, framed):
		return nil, &diagram.SyntaxError{Status: 400, Message: "PlantUML does not know this kind of diagram (@start" + startWord(framed) + "); it draws " + strings.Join(plantumlKinds, ", ") + "."}
	}
	return out, nil
}

// jvmOutOfMemory is the JVM's exit status under -XX:+ExitOnOutOfMemoryError.
const jvmOutOfMemory = 3

// plantumlKinds are the @start kinds Debian's PlantUML (1.2020) draws;
// others get its "No @startuml/@enduml found" screen with no error flag.
var plantumlKinds = []string{"uml", "salt", "ditaa", "dot", "mindmap", "wbs", "gantt", "latex", "math", "jcckit", "creole", "flow", "def", "wire"}

// errorScreen reports whether out is PlantUML's screen for a diagram it
// cannot read, drawn with a success status: by its text where the format
// has text, by the diagram's kind where it does not (PNG).
func errorScreen(f diagram.Format, out, framed []byte) bool {
	if f == diagram.PNG {
		word := startWord(framed)
		for _, k := range plantumlKinds {
			if word == k {
				return false
			}
		}
		return true
	}
	return bytes.Contains(out, []byte("No @startuml/@enduml found")) || bytes.Contains(out, []byte("No @startuml found"))
}

// startWord is the kind of a framed diagram: "uml" for "@startuml".
func startWord(framed []byte) string {
	head, _, _ := bytes.Cut(framed, []byte("\n"))
	word, _, _ := strings.Cut(strings.TrimPrefix(string(head), "@start"), " ")
	return strings.TrimSpace(word)
}

// Version is PlantUML's version line.
func (p *PlantUML) Version() string {
	return p.version.get(func() string {
		out, _ := exec.Command(p.opts.Java, "-Djava.awt.headless=true", "-jar", p.opts.Jar, "-version").Output()
		first, _, _ := strings.Cut(string(out), "\n")
		return strings.TrimSpace(first)
	})
}

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
		p.record(sandbox.PeakRSS(cmd.ProcessState))
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
	j.p.record(sandbox.TreePeakRSS(j.cmd.Process.Pid))
	syscall.Kill(-j.cmd.Process.Pid, syscall.SIGKILL)
}

// stop kills the JVM and waits until it is gone.
func (j *jvm) stop() {
	j.kill()
	<-j.exited
}

func (p *PlantUML) record(peak int64) {
	for old := p.peak.Load(); peak > old && !p.peak.CompareAndSwap(old, peak); old = p.peak.Load() {
	}
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

// pipeSource frames src as exactly one diagram for PlantUML's pipe mode,
// which ends a diagram at any line starting with "@end" and switches
// formats at lines starting with "@@@format": the text from the first
// @start line (or all of it, wrapped in @start<kind>/@end<kind>) to the
// first @end line, with format switches defused. It returns the framed
// source and the offset from PlantUML's line numbers to the source's.
func pipeSource(src []byte, kind string) ([]byte, int) {
	text := strings.ReplaceAll(string(src), "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	lines := strings.Split(text, "\n")
	start := -1
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimLeft(l, " \t\f\v"), "@start") {
			start = i
			break
		}
	}
	offset := -start
	if start < 0 {
		lines = append([]string{"@start" + kind}, lines...)
		start, offset = 0, 1
	}
	head := strings.TrimLeft(lines[start], " \t\f\v")
	word := startWord([]byte(head))
	var b strings.Builder
	b.WriteString(head + "\n")
	ended := false
	for _, l := range lines[start+1:] {
		if t := strings.TrimLeft(l, " \t\f\v"); strings.HasPrefix(t, "@end") {
			b.WriteString(t + "\n")
			ended = true
			break
		}
		if strings.HasPrefix(l, "@@@") {
			b.WriteByte(' ')
		}
		b.WriteString(l + "\n")
	}
	if !ended {
		b.WriteString("@end" + word + "\n")
	}
	return []byte(b.String()), offset
}

// pipeError reports whether PlantUML flagged the diagram as an error.
func pipeError(stderr string) bool {
	for _, l := range strings.Split(stderr, "\n") {
		if strings.TrimSpace(l) == "ERROR" {
			return true
		}
	}
	return false
}

// plantumlError reads PlantUML's "ERROR / <0-based line> / <message>"
// report into Kroki's wording: "Syntax Error? (line: N)".
func plantumlError(stderr string, offset int) error {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) != "ERROR" || i+2 >= len(lines) {
			continue
		}
		if n, err := strconv.Atoi(strings.TrimSpace(lines[i+1])); err == nil {
			line := max(n+1-offset, 1)
			return &diagram.SyntaxError{Status: 400, Message: fmt.Sprintf("%s (line: %d)", strings.TrimSpace(lines[i+2]), line), Line: line}
		}
	}
	return &diagram.SyntaxError{Status: 400, Message: "PlantUML could not render the diagram."}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

var (
	// includeLine matches preprocessor lines that read files or URLs, after
	// any whitespace PlantUML skips (form feed and vertical tab included);
	// the standard library (!include <C4/C4_Container>) stays.
	includeLine = regexp.MustCompile(`(?m)^[ \t\f\v]*![ \t\f\v]*(include[a-z_]*|import)\b.*$`)
	stdlibArg   = regexp.MustCompile(`^[ \t\f\v]*![ \t\f\v]*include[ \t\f\v]+<[\w./-]+>[ \t\f\v]*$`)
	// fileFunction matches builtin functions that read the environment or
	// the file system.
	fileFunction = regexp.MustCompile(`(?i)%(getenv|file_exists|dirpath|filename|filenameNoExtension|load_json)\b`)
	// image matches creole and HTML images, which PlantUML fetches or reads.
	image = regexp.MustCompile(`(?i)<img\b[^>]*>`)
)

// Sanitize removes what could reach the network, the file system or the
// environment. It is defence in depth: the sandbox gives the engine
// neither network nor files.
func Sanitize(src []byte) []byte {
	src = joinContinued(src)
	src = includeLine.ReplaceAllFunc(src, func(line []byte) []byte {
		if stdlibArg.Match(line) {
			return line
		}
		return []byte("' include removed by the sandbox")
	})
	src = fileFunction.ReplaceAll(src, []byte("%removed_by_the_sandbox"))
	return image.ReplaceAll(src, []byte("[image removed by the sandbox]"))
}

// joinContinued joins lines ending in a backslash with the next, as
// PlantUML's preprocessor does, and keeps every later line where it was
// (blank lines stand in for the joined ones) so error lines stay true.
func joinContinued(src []byte) []byte {
	if !bytes.Contains(src, []byte("\\")) {
		return src
	}
	lines := bytes.Split(src, []byte("\n"))
	var out [][]byte
	for i := 0; i < len(lines); i++ {
		line, joined := lines[i], 0
		for i+1 < len(lines) && bytes.HasSuffix(bytes.TrimRight(line, " \t\r"), []byte("\\")) {
			trimmed := bytes.TrimRight(line, " \t\r")
			line = append(append([]byte{}, trimmed[:len(trimmed)-1]...), lines[i+1]...)
			i++
			joined++
		}
		out = append(out, line)
		for ; joined > 0; joined-- {
			out = append(out, nil)
		}
	}
	return bytes.Join(out, []byte("\n"))
}
