package engine

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/sandbox"
)

// BlockdiagFont is the font the blockdiag family draws with (Debian's
// fonts-dejavu-core): without one its PDF output fails.
const BlockdiagFont = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

// BlockdiagPrograms are the blockdiag family's commands (Debian's
// python3-blockdiag, -seqdiag, -actdiag and -nwdiag), by type.
var BlockdiagPrograms = map[string]string{
	"blockdiag": "blockdiag3", "seqdiag": "seqdiag3", "actdiag": "actdiag3",
	"nwdiag": "nwdiag3", "packetdiag": "packetdiag3", "rackdiag": "rackdiag3",
}

// BlockdiagLimits: a Python interpreter with PIL and reportlab.
var BlockdiagLimits = sandbox.Limits{MemoryBytes: 1 << 30, FileBytes: 64 << 20, TmpBytes: 64 << 20}

// blockdiagScript runs the program on stdin into a file of the sandbox's
// /tmp and copies it to stdout: the family writes PNG and PDF only to a
// file it can seek in. The program's own output goes to stderr.
const blockdiagScript = `"$0" "$@" -o /tmp/diagram /dev/stdin >&2 && cat /tmp/diagram`

// Blockdiag runs one of the blockdiag family's programs.
type Blockdiag struct {
	program string
	runner  *Runner
	limits  sandbox.Limits
	version onceString
}

// NewBlockdiag returns an engine running program (a path) in the sandbox,
// sharing runner with the rest of its family.
func NewBlockdiag(program string, runner *Runner, limits sandbox.Limits) *Blockdiag {
	return &Blockdiag{program: program, runner: runner, limits: limits}
}

// NewBlockdiagRunner is the runner the family shares: at most concurrency
// renders at once.
func NewBlockdiagRunner(box *sandbox.Sandbox, concurrency int, timeout time.Duration) (*Runner, sandbox.Limits) {
	limits := BlockdiagLimits
	limits.CPU = timeout
	spec := sandbox.Spec{Env: engineEnv("PYTHONDONTWRITEBYTECODE=1"), Limits: limits}
	return NewRunner(box, spec, concurrency, timeout), limits
}

// Formats: the family's SVG, PNG and PDF.
func (b *Blockdiag) Formats() []diagram.Format {
	return []diagram.Format{diagram.SVG, diagram.PNG, diagram.PDF}
}

// Options are the family's command-line options Kroki exposes.
func (b *Blockdiag) Options() []string {
	return []string{"antialias", "no-transparency", "size", "no-doctype"}
}

var blockdiagSize = regexp.MustCompile(`^[1-9][0-9]{0,4}x[1-9][0-9]{0,4}$`)

// Render runs the program with -T format and the options as its flags.
func (b *Blockdiag) Render(ctx context.Context, f diagram.Format, src []byte, opts diagram.Options) ([]byte, error) {
	args := []string{"-c", blockdiagScript, b.program, "-T", string(f), "-f", BlockdiagFont}
	for name, v := range opts {
		switch name {
		case "antialias":
			args = append(args, "--antialias")
		case "no-transparency":
			args = append(args, "--no-transparency")
		case "no-doctype":
			args = append(args, "--nodoctype")
		case "size":
			if !blockdiagSize.MatchString(v) {
				return nil, diagram.Errorf(diagram.ErrBadOptions, "Option size: %q is not {width}x{height}, such as 320x240.", v)
			}
			args = append(args, "--size="+v)
		}
	}
	out, err := b.runner.Run(ctx, src, "/bin/sh", args...)
	var ee *errExit
	if errors.As(err, &ee) {
		if lerr := limitError(b.program, ee, b.limits); lerr != nil {
			return nil, lerr
		}
		return nil, blockdiagError(ee.stderr)
	}
	return out, err
}

// blockdiagPosition is where the family's parser says the fault is:
// "ERROR: 3,7-3,7: got unexpected token".
var blockdiagPosition = regexp.MustCompile(`ERROR: (\d+),(\d+)-\d+,\d+: `)

func blockdiagError(stderr string) error {
	var keep []string
	for _, line := range strings.Split(stderr, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			keep = append(keep, strings.TrimPrefix(line, "ERROR: "))
		}
	}
	msg := strings.Join(keep, "\n")
	if msg == "" {
		msg = "the diagram could not be rendered"
	}
	se := &diagram.SyntaxError{Status: 400, Message: msg}
	if m := blockdiagPosition.FindStringSubmatch(stderr); m != nil {
		se.Line, _ = strconv.Atoi(m[1])
		se.Message = fmt.Sprintf("line %s, column %s: %s", m[1], m[2], strings.TrimPrefix(msg, m[0][len("ERROR: "):]))
	}
	return se
}

// Version is the program's own --version line.
func (b *Blockdiag) Version() string {
	return b.version.get(func() string {
		out, _ := exec.Command(b.program, "--version").CombinedOutput()
		return strings.TrimSpace(string(out))
	})
}
