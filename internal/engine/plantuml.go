package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
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
	peak    peak
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
func (p *PlantUML) PeakRSS() int64 { return p.peak.max() }

// Render draws a PlantUML diagram.
func (p *PlantUML) Render(ctx context.Context, f diagram.Format, src []byte, _ diagram.Options) ([]byte, error) {
	if p.opts.Filter {
		src = Sanitize(src)
	}
	return p.render(ctx, f, src, "uml", "")
}

// Options: PlantUML's diagram options are in its source (skinparam, !theme).
func (p *PlantUML) Options() []string { return nil }

// Ditaa is the ditaa engine PlantUML embeds (@startditaa), in the same JVMs.
func (p *PlantUML) Ditaa() Engine { return ditaa{p} }

type ditaa struct{ p *PlantUML }

func (d ditaa) Formats() []diagram.Format { return []diagram.Format{diagram.SVG, diagram.PNG} }
func (d ditaa) Version() string           { return "ditaa (" + d.p.Version() + ")" }

// Options are those of Kroki's ditaa options that PlantUML's ditaa honours
// (as flags of its @startditaa line); its 1.2020 build has no anti-alias or
// round-corner switches.
func (d ditaa) Options() []string { return []string{"no-separation", "no-shadows", "scale"} }

func (d ditaa) Render(ctx context.Context, f diagram.Format, src []byte, opts diagram.Options) ([]byte, error) {
	var flags strings.Builder
	for _, name := range d.Options() {
		v, ok := opts[name]
		switch {
		case !ok:
		case name == "scale":
			scale, err := strconv.ParseFloat(v, 64)
			if err != nil || scale < 0.1 || scale > 10 {
				return nil, diagram.Errorf(diagram.ErrBadOptions, "Option scale: %q is not a number from 0.1 to 10.", v)
			}
			fmt.Fprintf(&flags, " scale=%g", scale)
		default:
			flags.WriteString(" --" + name)
		}
	}
	return d.p.render(ctx, f, src, "ditaa", flags.String())
}

// Close stops every JVM.
func (p *PlantUML) Close() error {
	for _, pool := range p.pools {
		pool.close()
	}
	return nil
}

func (p *PlantUML) render(ctx context.Context, f diagram.Format, src []byte, kind, flags string) ([]byte, error) {
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
	framed, offset := pipeSource(src, kind, flags)
	out, stderr, err := j.render(ctx, f, framed)
	healthy := err == nil && sandbox.TreeRSS(j.cmd.Process.Pid) < p.opts.MaxRSS
	p.peak.record(sandbox.TreePeakRSS(j.cmd.Process.Pid))
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
