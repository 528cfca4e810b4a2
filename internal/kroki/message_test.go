package kroki

import (
	"strings"
	"testing"
)

// TestCutEngineMessages: what a client reads of an engine's error is the
// engine's message, without stack traces, exception classes, temporary
// paths or the machine's facts; the line is still found.
func TestCutEngineMessages(t *testing.T) {
	for _, c := range []struct {
		name, body, want string
		line             int
	}{
		{"java stack trace",
			"com.structurizr.dsl.StructurizrDslParserException: Unexpected tokens at line 3: foo\n" +
				"\tat com.structurizr.dsl.StructurizrDslParser.parse(StructurizrDslParser.java:1092)\n" +
				"\tat io.kroki.server.service.Structurizr.convert(Structurizr.java:101)\n\t... 12 more\n" +
				"Caused by: java.lang.IllegalArgumentException: bar\n\tat x.Y.z(Y.java:1)\n",
			"Unexpected tokens at line 3: foo", 3},
		{"node stack trace",
			"Error: Parse error on line 2:\ngraph TD  a-->\n----------^\nExpecting 'AMP', got 'EOF'\n" +
				"    at Parser.parseError (/usr/local/kroki/node_modules/mermaid/dist/mermaid.js:1:2345)\n" +
				"    at Parser.parse (file:///usr/local/kroki/mermaid.js:2:10)",
			"Error: Parse error on line 2:\ngraph TD  a-->\n----------^\nExpecting 'AMP', got 'EOF'", 2},
		{"temporary path",
			"/tmp/kroki-tikz-8f3a91/diagram.tex:3: Undefined control sequence \\drawx.",
			"diagram.tex:3: Undefined control sequence \\drawx.", 0},
		{"machine facts",
			"Syntax Error? (line: 2)\nPlantUML version 1.2023.10\n(GPL source distribution)\nJava Version: 17.0.9\nMachine: kroki-7d9f5c-xk2p\n" +
				"Processors: 4\nMax Memory: 1,073,741,824\nUsed Memory: 41,067,984",
			"Syntax Error? (line: 2)", 2},
		{"cpu count", "Error 504: Navigation timeout of 30000 ms exceeded (2 CPUs)", "Navigation timeout of 30000 ms exceeded", 0},
		{"graphviz unchanged", "Error: <stdin>: syntax error in line 1 near '}'", "Error: <stdin>: syntax error in line 1 near '}'", 1},
		{"nothing left", "\tat a.B.c(B.java:1)", "the diagram could not be rendered", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			msg := message([]byte(c.body))
			if got := cut(msg); got != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
			if got := Line(msg); got != c.line {
				t.Errorf("line %d, want %d", got, c.line)
			}
		})
	}
}

// FuzzMessage: any error body gives a message with no stack frame in it.
func FuzzMessage(f *testing.F) {
	for _, s := range []string{"", "Error 400: x", `{"error":{"message":"m"}}`, "<pre>a\n\tat b.C(D.java:1)</pre>", "/tmp/x.tex:1: e (8 CPUs)"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got := cut(message(body))
		if got == "" {
			t.Fatal("empty message")
		}
		for _, line := range strings.Split(got, "\n") {
			if stackFrame.MatchString(line) {
				t.Fatalf("stack frame kept: %q", line)
			}
		}
	})
}
