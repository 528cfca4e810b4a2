package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/kroki"
)

// Debian's locations of the Java engines.
const (
	PlantUMLJar = "/usr/share/plantuml/plantuml.jar"
	DitaaJar    = "/usr/share/ditaa/ditaa.jar"
)

// Local finds the engines installed on this machine and returns them by
// canonical type, with a note for each one that is missing.
func Local(timeout time.Duration) (map[string]Engine, []string) {
	engines := map[string]Engine{}
	var missing []string
	sandbox, err := os.MkdirTemp("", "engine-sandbox-")
	if err != nil {
		sandbox = os.TempDir()
	}
	if dot, err := exec.LookPath("dot"); err == nil {
		engines["graphviz"] = &Graphviz{Dot: dot, Sandbox: sandbox, Runner: NewRunner(4, timeout)}
	} else {
		missing = append(missing, "graphviz: install the graphviz package (dot)")
	}
	java, jerr := exec.LookPath("java")
	if _, err := os.Stat(PlantUMLJar); jerr == nil && err == nil {
		p := &PlantUML{Java: java, Jar: PlantUMLJar, Runner: NewRunner(2, timeout)}
		engines["plantuml"], engines["c4plantuml"] = p, p
	} else {
		missing = append(missing, "plantuml, c4plantuml: install the plantuml package (and a Java runtime)")
	}
	if _, err := os.Stat(DitaaJar); jerr == nil && err == nil {
		engines["ditaa"] = &Ditaa{Java: java, Jar: DitaaJar, Runner: NewRunner(2, timeout)}
	} else {
		missing = append(missing, "ditaa: install the ditaa package (and a Java runtime)")
	}
	engines["d2"] = NewD2(2, timeout)
	return engines, missing
}

// sandboxEnv is the environment engine processes get: nothing of ours.
func sandboxEnv(extra ...string) []string {
	return append([]string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + os.TempDir(), "LANG=C.UTF-8"}, extra...)
}

// Graphviz runs dot.
type Graphviz struct {
	Dot string
	// Sandbox is an empty directory: with GV_FILE_PATH set, dot reads
	// images only from there, so a diagram cannot read the machine's files.
	Sandbox string
	Runner  *Runner
	version onceString
}

// Formats are dot's output formats that Kroki serves.
func (g *Graphviz) Formats() []diagram.Format {
	return []diagram.Format{diagram.SVG, diagram.PNG, diagram.JPEG, diagram.PDF}
}

// Render runs dot -T<format> over the source.
func (g *Graphviz) Render(ctx context.Context, f diagram.Format, src []byte, _ diagram.Options) ([]byte, error) {
	out, err := g.Runner.Run(ctx, src, sandboxEnv("GV_FILE_PATH="+g.Sandbox, "SERVER_NAME=engine"), g.Dot, "-T"+string(f))
	var ee *errExit
	if errors.As(err, &ee) {
		msg := strings.TrimSpace(ee.stderr)
		return nil, &diagram.SyntaxError{Status: 400, Message: msg, Line: kroki.Line(msg)}
	}
	return out, err
}

// Version is dot's own version line.
func (g *Graphviz) Version() string {
	return g.version.get(func() string {
		out, _ := exec.Command(g.Dot, "-V").CombinedOutput()
		return strings.TrimSpace(string(out))
	})
}

// PlantUML runs PlantUML's jar, sandboxed: file and URL includes are
// removed as Kroki's secure mode removes them, PlantUML's own sandbox
// profile is asked for, and the JVM's HTTP goes to a dead proxy.
type PlantUML struct {
	Java, Jar string
	Runner    *Runner
	version   onceString
}

// Formats are the ones Debian's PlantUML renders without extra libraries.
func (p *PlantUML) Formats() []diagram.Format {
	return []diagram.Format{diagram.SVG, diagram.PNG, diagram.TXT, diagram.UTXT}
}

var (
	// includeLine matches preprocessor lines that read files or URLs;
	// the standard library (!include <C4/C4_Container>) stays.
	includeLine = regexp.MustCompile(`(?m)^[ \t]*!(include[a-z_]*|import)\b.*$`)
	stdlibArg   = regexp.MustCompile(`^[ \t]*!include[ \t]+<[\w./-]+>[ \t]*$`)
	// remoteImage matches creole images that would be fetched.
	remoteImage = regexp.MustCompile(`(?i)<img:\s*(https?|file|ftp):`)
	startTag    = regexp.MustCompile(`(?m)^[ \t]*@start`)
)

// Sanitize removes what could reach the network or the file system.
func Sanitize(src []byte) []byte {
	src = includeLine.ReplaceAllFunc(src, func(line []byte) []byte {
		if stdlibArg.Match(line) {
			return line
		}
		return []byte("' include removed by the sandbox")
	})
	return remoteImage.ReplaceAll(src, []byte("<img:blocked:"))
}

// Render pipes the source through PlantUML.
func (p *PlantUML) Render(ctx context.Context, f diagram.Format, src []byte, _ diagram.Options) ([]byte, error) {
	offset := 0
	if !startTag.Match(src) {
		src = append(append([]byte("@startuml\n"), src...), "\n@enduml\n"...)
		offset = 1
	}
	src = Sanitize(src)
	out, err := p.Runner.Run(ctx, src, sandboxEnv("PLANTUML_SECURITY_PROFILE=SANDBOX"), p.Java,
		"-Djava.awt.headless=true",
		"-DPLANTUML_SECURITY_PROFILE=SANDBOX",
		"-Djava.net.useSystemProxies=false",
		"-Dhttp.proxyHost=127.0.0.1", "-Dhttp.proxyPort=9",
		"-Dhttps.proxyHost=127.0.0.1", "-Dhttps.proxyPort=9",
		"-jar", p.Jar, "-pipe", "-charset", "UTF-8", "-nbthread", "1", "-t"+string(f))
	var ee *errExit
	if errors.As(err, &ee) {
		return nil, plantumlError(ee.stderr, offset)
	}
	return out, err
}

// plantumlError reads PlantUML's "ERROR / <0-based line> / <message>"
// report into Kroki's wording: "Syntax Error? (line: N)".
func plantumlError(stderr string, offset int) error {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(lines) >= 3 && strings.TrimSpace(lines[0]) == "ERROR" {
		if n, err := strconv.Atoi(strings.TrimSpace(lines[1])); err == nil {
			line := n + 1 - offset
			return &diagram.SyntaxError{Status: 400, Message: fmt.Sprintf("%s (line: %d)", strings.TrimSpace(lines[2]), line), Line: line}
		}
	}
	msg := strings.TrimSpace(stderr)
	if msg == "" {
		msg = "PlantUML could not render the diagram."
	}
	return &diagram.SyntaxError{Status: 400, Message: msg}
}

// Version is PlantUML's version line.
func (p *PlantUML) Version() string {
	return p.version.get(func() string {
		out, _ := exec.Command(p.Java, "-Djava.awt.headless=true", "-jar", p.Jar, "-version").Output()
		first, _, _ := strings.Cut(string(out), "\n")
		return strings.TrimSpace(first)
	})
}

// Ditaa runs ditaa's jar over files in a scratch directory (it reads and
// writes only files).
type Ditaa struct {
	Java, Jar string
	Runner    *Runner
}

// Formats: Debian's ditaa 0.10 writes PNG only.
func (d *Ditaa) Formats() []diagram.Format { return []diagram.Format{diagram.PNG} }

// Render draws the ASCII art as a PNG.
func (d *Ditaa) Render(ctx context.Context, _ diagram.Format, src []byte, _ diagram.Options) ([]byte, error) {
	dir, err := os.MkdirTemp("", "ditaa-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	in, out := filepath.Join(dir, "in.txt"), filepath.Join(dir, "out.png")
	if err := os.WriteFile(in, src, 0o600); err != nil {
		return nil, err
	}
	_, err = d.Runner.Run(ctx, nil, sandboxEnv(), d.Java, "-Djava.awt.headless=true", "-jar", d.Jar, in, out, "--overwrite", "-e", "UTF-8")
	var ee *errExit
	if errors.As(err, &ee) {
		return nil, &diagram.SyntaxError{Status: 400, Message: strings.TrimSpace(ee.stderr)}
	}
	if err != nil {
		return nil, err
	}
	png, err := os.ReadFile(out)
	if err != nil {
		return nil, &diagram.SyntaxError{Status: 400, Message: "ditaa drew nothing from this source"}
	}
	return png, nil
}

// Version names the engine.
func (d *Ditaa) Version() string { return "ditaa 0.10 (Debian)" }

// onceString computes a string once.
type onceString struct {
	once sync.Once
	v    string
}

func (o *onceString) get(f func() string) string {
	o.once.Do(func() { o.v = f() })
	return o.v
}
