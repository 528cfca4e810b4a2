package engine

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/sandbox"
)

// TikZ needs Debian's TeX Live (texlive-latex-base, texlive-pictures,
// texlive-latex-extra for the standalone class) and poppler-utils; its
// formats and TeX's own trees outside /usr.
var (
	// TikZFiles are what it needs installed, with the package of each.
	TikZFiles = map[string]string{
		"/usr/bin/pdflatex": "texlive-latex-base",
		"/usr/share/texlive/texmf-dist/tex/latex/pgf/frontendlayer/tikz.sty": "texlive-pictures",
		"/usr/share/texlive/texmf-dist/tex/latex/standalone/standalone.cls":  "texlive-latex-extra",
		"/usr/bin/pdftocairo": "poppler-utils",
	}
	tikzTrees = []string{"/var/lib/texmf", "/etc/texmf"}
	// TikZLimits: pdflatex and poppler, with room for TeX's font caches.
	TikZLimits = sandbox.Limits{MemoryBytes: 1 << 30, FileBytes: 64 << 20, TmpBytes: 128 << 20}
)

// tikzScript typesets the source on stdin with pdflatex in the sandbox's
// /tmp (TeX's own log to stderr) and converts the PDF to the format ($1).
// openin_any=p refuses reading files outside the working directory
// (Debian's TeX reads anywhere otherwise); shell escapes are off.
const tikzScript = `cd /tmp && cat > diagram.tex &&
openin_any=p pdflatex -no-shell-escape -interaction=nonstopmode -halt-on-error diagram.tex >&2 || exit 65
case "$1" in
pdf) cat diagram.pdf ;;
svg) pdftocairo -svg diagram.pdf - ;;
png) pdftoppm -png -r 150 -singlefile diagram.pdf ;;
jpeg) pdftoppm -jpeg -r 150 -singlefile diagram.pdf ;;
esac`

// TikZ typesets LaTeX documents with TikZ pictures.
type TikZ struct {
	runner *Runner
	limits sandbox.Limits
}

// NewTikZ returns the TikZ engine, at most concurrency at once.
func NewTikZ(box *sandbox.Sandbox, concurrency int, timeout time.Duration) *TikZ {
	limits := TikZLimits
	limits.CPU = timeout
	spec := sandbox.Spec{ReadOnly: tikzTrees, Env: engineEnv(), Limits: limits}
	return &TikZ{runner: NewRunner(box, spec, concurrency, timeout), limits: limits}
}

// Formats are Kroki's TikZ formats.
func (t *TikZ) Formats() []diagram.Format {
	return []diagram.Format{diagram.JPEG, diagram.PDF, diagram.PNG, diagram.SVG}
}

// Options: TikZ takes none.
func (t *TikZ) Options() []string { return nil }

// Version names the TeX engine.
func (t *TikZ) Version() string { return "pdfTeX (TeX Live, Debian) with TikZ" }

// Render typesets the document and converts it.
func (t *TikZ) Render(ctx context.Context, f diagram.Format, src []byte, _ diagram.Options) ([]byte, error) {
	out, err := t.runner.Run(ctx, src, "/bin/sh", "-c", tikzScript, "tikz", string(f))
	var ee *errExit
	if errors.As(err, &ee) {
		if lerr := limitError("pdflatex", ee, t.limits); lerr != nil {
			return nil, lerr
		}
		return nil, texError(ee.stderr)
	}
	return out, err
}

// texLine is where TeX says it stopped: "l.5 \draww".
var texLine = regexp.MustCompile(`(?m)^l\.(\d+) `)

// texError is TeX's complaint: its "! ..." lines and the line it stopped
// at.
func texError(log string) error {
	var msgs []string
	for _, line := range strings.Split(log, "\n") {
		if rest, ok := strings.CutPrefix(line, "! "); ok && !strings.HasPrefix(rest, "==> Fatal error") {
			msgs = append(msgs, strings.TrimSpace(rest))
		}
	}
	se := &diagram.SyntaxError{Status: 400, Message: strings.Join(msgs, "\n")}
	if se.Message == "" {
		se.Message = "TeX could not typeset the document"
	}
	if m := texLine.FindStringSubmatch(log); m != nil {
		se.Line, _ = strconv.Atoi(m[1])
		se.Message = "line " + m[1] + ": " + se.Message
	}
	return se
}
