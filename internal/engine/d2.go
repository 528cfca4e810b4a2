package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing/fstest"
	"time"

	"oss.terrastruct.com/d2/d2graph"
	"oss.terrastruct.com/d2/d2layouts/d2dagrelayout"
	"oss.terrastruct.com/d2/d2layouts/d2elklayout"
	"oss.terrastruct.com/d2/d2lib"
	"oss.terrastruct.com/d2/d2renderers/d2svg"
	"oss.terrastruct.com/d2/d2themes/d2themescatalog"
	d2log "oss.terrastruct.com/d2/lib/log"
	"oss.terrastruct.com/d2/lib/textmeasure"

	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/kroki"
	"github.com/umlimages/umlimages/internal/sandbox"
)

// ChildArg, as the first argument of a binary that calls Child, makes it
// an engine child: it renders the diagram on stdin to stdout and exits.
const ChildArg = "__engine-child"

// childDiagramError is the exit status of a child whose diagram was wrong;
// its stderr holds the message.
const childDiagramError = 2

// selfPath is where the sandbox shows the child binary.
const selfPath = "/engine/renderer"

// D2 renders D2 in a child process of our own binary (ChildArg d2), in the
// sandbox like every other engine: a timeout kills the layout, and a slot
// is free again only once the child is gone.
type D2 struct {
	runner *Runner
	bin    string // the child binary, as the process sees it
	limits sandbox.Limits
}

// NewD2 returns a D2 engine running self as its child, at most concurrency
// at once.
func NewD2(box *sandbox.Sandbox, self string, concurrency int, timeout time.Duration) *D2 {
	limits := D2Limits
	limits.CPU = timeout
	spec := sandbox.Spec{
		Files:  map[string]string{selfPath: self},
		Env:    engineEnv("GOMAXPROCS=1", fmt.Sprintf("GOMEMLIMIT=%dMiB", limits.MemoryBytes>>20*3/4)),
		Limits: limits,
	}
	bin := selfPath
	if !box.Sandboxed() {
		spec.Files, bin = nil, self
	}
	return &D2{runner: NewRunner(box, spec, concurrency, timeout), bin: bin, limits: limits}
}

// Formats: D2 renders SVG (as Kroki serves it).
func (d *D2) Formats() []diagram.Format { return []diagram.Format{diagram.SVG} }

// Options are Kroki's D2 options.
func (d *D2) Options() []string { return []string{"theme", "layout", "sketch"} }

// Version names the library.
func (d *D2) Version() string { return "d2 v0.7.2" }

// PeakRSS is the largest peak resident set of any D2 child.
func (d *D2) PeakRSS() int64 { return d.runner.PeakRSS() }

// Render lays out and draws the diagram in a child process.
func (d *D2) Render(ctx context.Context, _ diagram.Format, src []byte, opts diagram.Options) ([]byte, error) {
	o, err := parseD2Options(opts)
	if err != nil {
		return nil, err
	}
	out, err := d.runner.Run(ctx, src, d.bin, ChildArg, "d2", o.arg())
	var ee *errExit
	if errors.As(err, &ee) {
		if ee.code == childDiagramError {
			msg := strings.TrimSpace(ee.stderr)
			return nil, &diagram.SyntaxError{Status: 400, Message: msg, Line: kroki.Line(msg)}
		}
		if lerr := limitError("d2", ee, d.limits); lerr != nil {
			return nil, lerr
		}
		return nil, fmt.Errorf("d2: %w: %v", diagram.ErrUnavailable, ee)
	}
	return out, err
}

// Child runs an engine child (args are what follows ChildArg) over stdin,
// and returns the process's exit status.
func Child(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) != 2 || args[0] != "d2" {
		fmt.Fprintf(stderr, "usage: %s d2 theme,layout,sketch < diagram.d2 > diagram.svg\n", ChildArg)
		return 1
	}
	o, err := parseD2Arg(args[1])
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	src, err := io.ReadAll(io.LimitReader(stdin, MaxSourceBytes+1))
	if err != nil || len(src) > MaxSourceBytes {
		fmt.Fprintln(stderr, "the diagram source could not be read, or is over", MaxSourceBytes, "bytes")
		return childDiagramError
	}
	svg, err := renderD2(string(src), o)
	var se *diagram.SyntaxError
	switch {
	case errors.As(err, &se):
		fmt.Fprintln(stderr, se.Message)
		return childDiagramError
	case err != nil:
		fmt.Fprintln(stderr, err)
		return 1
	}
	if _, err := stdout.Write(svg); err != nil {
		return 1
	}
	return 0
}

// RunChildIfAsked runs Child and exits when this process was started as an
// engine child; otherwise it returns at once. Call it first in main (and in
// TestMain of tests that render D2).
func RunChildIfAsked() {
	if len(os.Args) > 1 && os.Args[1] == ChildArg {
		os.Exit(Child(os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
	}
}

// quiet is the logger D2's internals get: its debug chatter is not ours.
var quiet = slog.New(slog.DiscardHandler)

func renderD2(src string, o d2Options) (svg []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &diagram.SyntaxError{Status: 400, Message: fmt.Sprintf("d2 failed on this diagram: %v", p)}
		}
	}()
	ruler, err := textmeasure.NewRuler()
	if err != nil {
		return nil, fmt.Errorf("d2: ruler: %w", err)
	}
	pad := int64(d2svg.DEFAULT_PADDING)
	renderOpts := &d2svg.RenderOpts{Pad: &pad, ThemeID: &o.theme, Sketch: &o.sketch}
	layout := func(string) (d2graph.LayoutGraph, error) {
		if o.layout == "elk" {
			return d2elklayout.DefaultLayout, nil
		}
		return d2dagrelayout.DefaultLayout, nil
	}
	ctx := d2log.With(context.Background(), quiet)
	diag, _, err := d2lib.Compile(ctx, src, &d2lib.CompileOptions{Ruler: ruler, LayoutResolver: layout, FS: fstest.MapFS{}}, renderOpts)
	if err != nil {
		return nil, &diagram.SyntaxError{Status: 400, Message: err.Error(), Line: kroki.Line(err.Error())}
	}
	out, err := d2svg.Render(diag, renderOpts)
	if err != nil {
		return nil, &diagram.SyntaxError{Status: 400, Message: err.Error()}
	}
	return out, nil
}

// d2Options are the options Kroki documents for D2, as this engine takes
// them: a theme id, a layout engine, and the sketch look.
type d2Options struct {
	theme  int64
	layout string
	sketch bool
}

// parseD2Options checks a request's options: an option D2 does not take,
// or a value it does not know, is a 400 naming it, never ignored.
func parseD2Options(opts diagram.Options) (d2Options, error) {
	o := d2Options{layout: "dagre"}
	for name, v := range opts {
		switch name {
		case "theme":
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || d2themescatalog.Find(id).Name == "" {
				return o, diagram.Errorf(diagram.ErrBadOptions, "Option theme: %q is not a D2 theme id (0, 1, 3 ... 300, 301).", v)
			}
			o.theme = id
		case "layout":
			if v != "dagre" && v != "elk" {
				return o, diagram.Errorf(diagram.ErrBadOptions, "Option layout: %q is not dagre or elk.", v)
			}
			o.layout = v
		case "sketch":
			o.sketch = v == "" || v == "true"
		default:
			return o, diagram.Errorf(diagram.ErrBadOptions, "Option %s is not one D2 takes here (theme, layout, sketch).", name)
		}
	}
	return o, nil
}

// arg is the options as the child's argument.
func (o d2Options) arg() string { return fmt.Sprintf("%d,%s,%t", o.theme, o.layout, o.sketch) }

func parseD2Arg(arg string) (d2Options, error) {
	parts := strings.Split(arg, ",")
	if len(parts) != 3 {
		return d2Options{}, fmt.Errorf("bad options %q", arg)
	}
	theme, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil {
		return d2Options{}, fmt.Errorf("bad theme %q", parts[0])
	}
	return d2Options{theme: theme, layout: parts[1], sketch: parts[2] == "true"}, nil
}
