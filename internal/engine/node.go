package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/kroki"
	"github.com/umlimages/umlimages/internal/sandbox"
)

// NodeTypes are the types render.mjs draws in Node, with their formats:
// SVG from each library; PNG, where Kroki has it, drawn from that SVG by
// resvg (Vega's own PNG needs node-canvas, whose binaries npm does not
// serve).
var NodeTypes = map[string][]diagram.Format{
	"vega": {diagram.SVG, diagram.PNG}, "vegalite": {diagram.SVG, diagram.PNG},
	"wavedrom": {diagram.SVG}, "nomnoml": {diagram.SVG}, "bytefield": {diagram.SVG},
	"dbml": {diagram.SVG}, "svgbob": {diagram.SVG}, "pikchr": {diagram.SVG},
}

// NodeLimits: V8 reserves address space well beyond its heap, which
// --max-old-space-size caps; WebAssembly's guard regions are off
// (--disable-wasm-trap-handler) so the address-space cap holds.
var NodeLimits = sandbox.Limits{MemoryBytes: 2 << 30, FileBytes: 1 << 20, TmpBytes: 1 << 20}

// scriptsPath is where the sandbox shows the scripts folder.
const scriptsPath = "/engine/js"

// nodeDiagramError is render.mjs's exit status for a diagram its library
// rejects; its stderr holds the library's message.
const nodeDiagramError = 65

// Node runs one type of render.mjs, the local renderer's Node engines,
// from the npm-installed scripts folder (internal/engine/_js).
type Node struct {
	typ     string
	formats []diagram.Format
	script  string
	runner  *Runner
	limits  sandbox.Limits
	version string
}

// NewNodeRunner is the runner the Node engines share, showing the scripts
// folder read-only at /engine/js.
func NewNodeRunner(box *sandbox.Sandbox, scripts string, concurrency int, timeout time.Duration) (*Runner, string, sandbox.Limits) {
	limits := NodeLimits
	limits.CPU = timeout
	spec := sandbox.Spec{Files: map[string]string{scriptsPath: scripts}, Env: engineEnv("NODE_OPTIONS="), Limits: limits}
	dir := scriptsPath
	if !box.Sandboxed() {
		spec.Files, dir = nil, scripts
	}
	return NewRunner(box, spec, concurrency, timeout), filepath.Join(dir, "render.mjs"), limits
}

// NewNode returns the engine for typ, one of NodeTypes.
func NewNode(typ, script string, runner *Runner, limits sandbox.Limits, version string) *Node {
	return &Node{typ: typ, formats: NodeTypes[typ], script: script, runner: runner, limits: limits, version: version}
}

// nodePackages are the npm packages that draw each Node type.
var nodePackages = map[string]string{
	"vega": "vega", "vegalite": "vega-lite", "wavedrom": "wavedrom", "nomnoml": "nomnoml",
	"bytefield": "bytefield-svg", "dbml": "@softwaretechnik/dbml-renderer", "svgbob": "svgbob-wasm", "pikchr": "pikchr-wasm",
}

// packageVersion is "name version" of an npm package installed in the
// scripts folder.
func packageVersion(scripts, pkg string) (string, error) {
	b, err := os.ReadFile(filepath.Join(scripts, "node_modules", pkg, "package.json"))
	if err != nil {
		return "", fmt.Errorf("%s is not installed in %s (run `make engines`): %w", pkg, scripts, err)
	}
	var p struct{ Version string }
	if err := json.Unmarshal(b, &p); err != nil {
		return "", fmt.Errorf("%s's package.json: %w", pkg, err)
	}
	return pkg + " " + p.Version, nil
}

// Formats are the type's formats in Node.
func (n *Node) Formats() []diagram.Format { return n.formats }

// Options: the Node engines take none.
func (n *Node) Options() []string { return nil }

// Version names the library and its version.
func (n *Node) Version() string { return n.version }

// PeakRSS is the largest peak resident set of any Node engine process.
func (n *Node) PeakRSS() int64 { return n.runner.PeakRSS() }

// Render runs render.mjs for the type.
func (n *Node) Render(ctx context.Context, f diagram.Format, src []byte, _ diagram.Options) ([]byte, error) {
	out, err := n.runner.Run(ctx, src, nodeBinary,
		"--max-old-space-size=512", "--disable-wasm-trap-handler", "--experimental-wasm-modules", "--no-warnings",
		n.script, n.typ, string(f))
	var ee *errExit
	if errors.As(err, &ee) {
		if lerr := limitError(n.typ, ee, n.limits); lerr != nil {
			return nil, lerr
		}
		msg := strings.TrimSpace(ee.stderr)
		if ee.code != nodeDiagramError {
			if strings.Contains(msg, "out of memory") || strings.Contains(msg, "Out of memory") {
				return nil, diagram.Errorf(diagram.ErrTooLarge, "The diagram needs more memory than the renderer allows (%d MiB).", n.limits.MemoryBytes>>20)
			}
			return nil, fmt.Errorf("%s: %w", n.typ, ee)
		}
		return nil, &diagram.SyntaxError{Status: 400, Message: msg, Line: kroki.Line(msg)}
	}
	return out, err
}

// nodeBinary is Debian's Node, which the sandbox shows under /usr.
const nodeBinary = "/usr/bin/node"
