package kroki

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
)

// message extracts the human-readable part of an error body: Kroki answers
// with plain text, JSON or an HTML page depending on version and Accept.
func message(body []byte) string {
	var j struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
	}
	if json.Unmarshal(body, &j) == nil {
		var nested struct {
			Message string `json:"message"`
		}
		var flat string
		switch {
		case json.Unmarshal(j.Error, &nested) == nil && nested.Message != "":
			return nested.Message
		case json.Unmarshal(j.Error, &flat) == nil && flat != "":
			return flat
		case j.Message != "":
			return j.Message
		}
	}
	s := string(body)
	if i := strings.Index(s, "<pre>"); i >= 0 {
		s = s[i+len("<pre>"):]
		if j := strings.Index(s, "</pre>"); j >= 0 {
			s = s[:j]
		}
	}
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "Error "); ok && len(rest) > 5 && rest[3:5] == ": " {
		s = rest[5:]
	}
	if s == "" {
		return "the diagram could not be rendered"
	}
	return s
}

var (
	lineRE     = regexp.MustCompile(`(?i)\bline[\s:#]*(\d{1,7})\b`)
	positionRE = regexp.MustCompile(`(?m)^(?:[\w./-]+:)?(\d{1,7}):\d{1,5}:\s`)
)

// Line finds the line number in an engine's error message: PlantUML's
// "Error line 3 in file", graphviz's "syntax error in line 2", Mermaid's
// "Parse error on line 4", D2's "2:5: message", and the like. It returns 0
// when there is none.
func Line(msg string) int {
	m := lineRE.FindStringSubmatch(msg)
	if m == nil {
		m = positionRE.FindStringSubmatch(msg)
	}
	if m == nil {
		return 0
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

// The parts of an engine's message that say nothing of the diagram:
// stack frames, exception class names, where the engine kept its files,
// and what it says of its machine (PlantUML's version block: host, CPUs,
// memory).
var (
	stackFrame    = regexp.MustCompile(`^\s*(?:at\s+\S.*|\.\.\. \d+ (?:more|common frames omitted))$`)
	causedBy      = regexp.MustCompile(`^Caused by: `)
	exceptionName = regexp.MustCompile(`^(?:(?:[a-z_]\w*\.)+[A-Z]\w*(?:Exception|Error)|[A-Z]\w*(?:Exception|Error)): `)
	machineLine   = regexp.MustCompile(`^(?:\(GPL source distribution\)$|PlantUML version \d|Loaded from |(?:Java Runtime|JVM|Java Version|Operating System|OS Version|Default Encoding|Language|Country|Machine|PLANTUML_LIMIT_SIZE|Processors|Max Memory|Total Memory|Free Memory|Used Memory|Thread Active Count): )`)
	tempPath      = regexp.MustCompile(`(?:/tmp|/var/tmp|/private/var/folders|/var/folders|/dev/shm)/[^\s:'"()]*`)
	cpuCount      = regexp.MustCompile(`\s*\(?\b\d+\s+(?:CPUs?|cpus?|cores?|processors?)\b\)?`)
)

// cut keeps an engine's message and drops what is not for the client:
// a Java or Node stack trace after its first line, the exception's class,
// temporary paths (a file of the diagram reads as "diagram"), and facts of
// the machine that rendered it.
func cut(msg string) string {
	var kept []string
	for _, line := range strings.Split(strings.ReplaceAll(msg, "\r\n", "\n"), "\n") {
		if causedBy.MatchString(line) {
			break
		}
		if stackFrame.MatchString(line) || machineLine.MatchString(strings.TrimSpace(line)) {
			continue
		}
		line = exceptionName.ReplaceAllString(line, "")
		line = tempPath.ReplaceAllStringFunc(line, func(p string) string {
			if i := strings.LastIndexByte(p, '.'); i > strings.LastIndexByte(p, '/') {
				return "diagram" + p[i:]
			}
			return "diagram"
		})
		kept = append(kept, cpuCount.ReplaceAllString(line, ""))
	}
	out := strings.TrimSpace(strings.Join(kept, "\n"))
	if out == "" {
		return "the diagram could not be rendered"
	}
	return out
}
