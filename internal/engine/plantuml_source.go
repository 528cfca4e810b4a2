package engine

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/umlimages/umlimages/internal/diagram"
)

// pipeSource frames src as exactly one diagram for PlantUML's pipe mode,
// which ends a diagram at any line starting with "@end" and switches
// formats at lines starting with "@@@format": the text from the first
// @start line (or all of it, wrapped in @start<kind>/@end<kind>) to the
// first @end line, with format switches defused. It returns the framed
// source and the offset from PlantUML's line numbers to the source's.
// flags go at the end of the @start line (ditaa's options).
func pipeSource(src []byte, kind, flags string) ([]byte, int) {
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
	b.WriteString(head + flags + "\n")
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
