package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/engine"
)

// peaker is an engine that reports its processes' peak resident set.
type peaker interface {
	engine.Engine
	PeakRSS() int64
}

func graph(nodes, edgesPerNode int) string {
	var b strings.Builder
	b.WriteString("digraph G {\n")
	for i := 0; i < nodes; i++ {
		for j := 1; j <= edgesPerNode; j++ {
			fmt.Fprintf(&b, "n%d -> n%d;\n", i, (i*7919+j*104729)%nodes)
		}
	}
	b.WriteString("}\n")
	return b.String()
}

func sequence(messages int) string {
	var b strings.Builder
	b.WriteString("@startuml\n")
	for i := 0; i < messages; i++ {
		fmt.Fprintf(&b, "P%d -> P%d : message %d\n", i%50, (i+1)%50, i)
	}
	b.WriteString("@enduml\n")
	return b.String()
}

func dense(nodes int) string {
	var b strings.Builder
	for i := 0; i < nodes; i++ {
		for j := 0; j < nodes; j++ {
			if i != j {
				fmt.Fprintf(&b, "n%d -> n%d\n", i, j)
			}
		}
	}
	return b.String()
}

// TestResourceBombs: sources built to exhaust memory or time each end
// within the timeout with a 4xx/5xx-class error, the engine's peak
// resident set stays under its cap, and neither a process nor a temporary
// file is left behind.
func TestResourceBombs(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	const timeout = 3 * time.Second
	b := box(t)
	plantuml := engine.NewPlantUML(b, engine.PlantUMLOptions{Java: "/usr/bin/java", Jar: engine.PlantUMLJar, Pool: 1, Timeout: timeout})
	cases := []struct {
		name   string
		engine peaker
		format diagram.Format
		src    string
		cap    int64
		want   []error // acceptable error kinds
	}{
		{"graphviz dpi bomb", engine.NewGraphviz(b, "/usr/bin/dot", 1, timeout), diagram.PNG, "digraph { dpi=100000; a -> b }", engine.GraphvizLimits.MemoryBytes, []error{diagram.ErrTooLarge}},
		{"graphviz 5,000 nodes", engine.NewGraphviz(b, "/usr/bin/dot", 1, timeout), diagram.SVG, graph(5000, 2), engine.GraphvizLimits.MemoryBytes, []error{diagram.ErrTimeout}},
		{"plantuml 40,000 messages", plantuml, diagram.SVG, sequence(40000), engine.JVMLimits.MemoryBytes, []error{diagram.ErrTimeout, diagram.ErrTooLarge}},
		{"d2 dense layout", engine.NewD2(b, self(t), 1, timeout), diagram.SVG, dense(40), engine.D2Limits.MemoryBytes, []error{diagram.ErrTimeout, diagram.ErrTooLarge}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			_, err := c.engine.Render(context.Background(), c.format, []byte(c.src), nil)
			took := time.Since(start)
			ok := false
			for _, w := range c.want {
				ok = ok || errors.Is(err, w)
			}
			if !ok {
				t.Errorf("got %v, want one of %v", err, c.want)
			}
			if took > timeout+5*time.Second {
				t.Errorf("took %s, past the %s timeout", took, timeout)
			}
			peak := c.engine.PeakRSS()
			if peak == 0 || peak > c.cap {
				t.Errorf("peak RSS %d MiB, want above 0 and under the %d MiB cap", peak>>20, c.cap>>20)
			}
			t.Logf("%s: %v after %s, peak RSS %d MiB (cap %d MiB)", c.name, err, took.Round(time.Millisecond), peak>>20, c.cap>>20)
		})
	}
	plantuml.Close()
	noEngineProcesses(t)
	emptyDir(t, tmp)
}

// TestPlantUMLPool: JVMs are reused, a JVM that dies is replaced, and a
// failed render does not disturb the next.
func TestPlantUMLPool(t *testing.T) {
	p := engine.NewPlantUML(box(t), engine.PlantUMLOptions{Java: "/usr/bin/java", Jar: engine.PlantUMLJar, Pool: 1, Timeout: time.Minute})
	defer func() {
		p.Close()
		noEngineProcesses(t)
	}()
	ctx := context.Background()
	render := func(f diagram.Format, src string) (string, error) {
		out, err := p.Render(ctx, f, []byte(src), nil)
		return string(out), err
	}
	for i, c := range []struct {
		f        diagram.Format
		src      string
		contains string
		line     int
	}{
		{diagram.SVG, "@startuml\nAlice -> Bob: first\n@enduml", "first", 0},
		{diagram.PNG, "@startuml\nAlice -> Bob: png\n@enduml", "\x89PNG", 0},
		{diagram.SVG, "Alice -> Bob: wrapped", "wrapped", 0},
		{diagram.SVG, "@startuml\nAlice -> Bob: hi\nthis is not plantuml\n@enduml", "", 3},
		{diagram.TXT, "@startuml\nAlice -> Bob: text\n@enduml", "text", 0},
		{diagram.SVG, "@startuml\nAlice -> Bob: fake end\n  @enduml\n@startuml\nX -> Y: second diagram\n@enduml", "fake end", 0},
		{diagram.SVG, "@startuml\nAlice -> Bob: after\n@enduml", "after", 0},
	} {
		out, err := render(c.f, c.src)
		var se *diagram.SyntaxError
		switch {
		case c.line > 0 && (!errors.As(err, &se) || se.Line != c.line):
			t.Errorf("%d: got %v, want a syntax error on line %d", i, err, c.line)
		case c.line == 0 && (err != nil || !strings.Contains(out, c.contains)):
			t.Errorf("%d: got %.80q, %v; want it to contain %q", i, out, err, c.contains)
		case strings.Contains(out, "second diagram"):
			t.Errorf("%d: a second diagram in one source was rendered into the first", i)
		}
	}
}

// TestPlantUMLFailuresAreErrors: what PlantUML draws as a success but is a
// failure (its error screens, an empty output, a JVM that stops) is a
// diagram error.
func TestPlantUMLFailuresAreErrors(t *testing.T) {
	p := engine.NewPlantUML(box(t), engine.PlantUMLOptions{Java: "/usr/bin/java", Jar: engine.PlantUMLJar, Pool: 1, Timeout: time.Minute})
	defer p.Close()
	for _, c := range []struct {
		name string
		f    diagram.Format
		src  string
	}{
		{"unknown kind, svg", diagram.SVG, "@startfoo\nA\n@endfoo"},
		{"unknown kind, png", diagram.PNG, "@startjson\n{}\n@endjson"},
		{"unknown kind, txt", diagram.TXT, "@startyaml\na: b\n@endyaml"},
		{"preprocessor error", diagram.SVG, "@startuml\n!return\n@enduml"},
		{"a kind that stops the JVM", diagram.SVG, "@startmath\nx\n@endmath"},
	} {
		_, err := p.Render(context.Background(), c.f, []byte(c.src), nil)
		var se *diagram.SyntaxError
		if !errors.As(err, &se) || se.Status != 400 {
			t.Errorf("%s: got %v, want a 400 diagram error", c.name, err)
		}
	}
	out, err := p.Render(context.Background(), diagram.SVG, []byte("@startuml\nA -> B: still fine\n@enduml"), nil)
	if err != nil || !strings.Contains(string(out), "still fine") {
		t.Errorf("after the failures: %v", err)
	}
}
