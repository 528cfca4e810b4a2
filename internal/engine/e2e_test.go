package engine_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/testsupport/stacktest"
)

func newStack(t *testing.T) string {
	t.Helper()
	return stacktest.Start(t, stacktest.Options{}).API.URL
}

func get(t *testing.T, url string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return do(t, req)
}

func post(t *testing.T, url, contentType, body string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// valid checks that a render is a well-formed file of its format.
func valid(t *testing.T, f diagram.Format, b []byte) {
	t.Helper()
	switch f {
	case diagram.SVG:
		dec := xml.NewDecoder(bytes.NewReader(b))
		for {
			tok, err := dec.Token()
			if err != nil {
				t.Fatalf("SVG does not parse as XML before its root: %v", err)
			}
			if se, ok := tok.(xml.StartElement); ok {
				if se.Name.Local != "svg" {
					t.Fatalf("root element is <%s>, want <svg>", se.Name.Local)
				}
				break
			}
		}
		for {
			if _, err := dec.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("SVG is not well-formed XML: %v", err)
			}
		}
	case diagram.PNG, diagram.JPEG:
		decode := png.Decode
		if f == diagram.JPEG {
			decode = jpeg.Decode
		}
		img, err := decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s does not decode: %v", f, err)
		}
		if r := img.Bounds(); r.Dx() == 0 || r.Dy() == 0 {
			t.Fatalf("%s is empty: %v", f, r)
		}
	case diagram.PDF:
		if !bytes.HasPrefix(b, []byte("%PDF-")) {
			t.Fatalf("not a PDF: %q", b[:min(len(b), 16)])
		}
		// Its trailer's startxref must point at its cross-reference
		// table or stream: the file is whole, as a reader opens it.
		m := pdfTrailer.FindSubmatch(b)
		if m == nil {
			t.Fatalf("the PDF has no startxref/%%%%EOF trailer: %q", b[max(0, len(b)-64):])
		}
		at, _ := strconv.Atoi(string(m[1]))
		if at <= 0 || at >= len(b) || !pdfXref.Match(b[at:]) {
			t.Fatalf("the PDF's startxref (%d) does not point at a cross-reference section", at)
		}
	case diagram.TXT, diagram.UTXT:
		if len(bytes.TrimSpace(b)) == 0 {
			t.Fatal("empty text render")
		}
	}
}

var (
	pdfTrailer = regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`)
	pdfXref    = regexp.MustCompile(`^(?:xref|\d+\s+\d+\s+obj)`)
)

var samples = []struct {
	typ, source string
	formats     []diagram.Format
	contains    string // a word the render must show (text formats)
}{
	{"graphviz", "digraph G {\n  Hello -> World\n}", []diagram.Format{diagram.SVG, diagram.PNG, diagram.JPEG, diagram.PDF}, ""},
	{"plantuml", "@startuml\nAlice -> Bob: hello\nBob --> Alice: hi\n@enduml", []diagram.Format{diagram.SVG, diagram.PNG, diagram.TXT, diagram.UTXT}, "Alice"},
	{"c4plantuml", "@startuml\n!include <C4/C4_Container>\nPerson(user, \"User\")\nSystem(sys, \"UML Images\")\nRel(user, sys, \"draws\")\n@enduml", []diagram.Format{diagram.SVG, diagram.PNG}, ""},
	{"ditaa", "+--------+   +-------+\n| client |-->| kroki |\n+--------+   +-------+", []diagram.Format{diagram.SVG, diagram.PNG}, ""},
	{"d2", "client -> api: GET\napi -> kroki: POST", []diagram.Format{diagram.SVG}, ""},
}

func TestEveryLocalEngineThroughTheAPI(t *testing.T) {
	api := newStack(t)
	for _, s := range samples {
		for _, f := range s.formats {
			t.Run(s.typ+"/"+string(f), func(t *testing.T) {
				resp, body := get(t, api+"/"+s.typ+"/"+string(f)+"/"+diagram.Encode([]byte(s.source)))
				if resp.StatusCode != 200 {
					t.Fatalf("GET: %d %s", resp.StatusCode, body)
				}
				if resp.Header.Get("Content-Type") != f.ContentType() {
					t.Errorf("Content-Type: got %q, want %q", resp.Header.Get("Content-Type"), f.ContentType())
				}
				valid(t, f, body)
				if s.contains != "" && (f == diagram.TXT || f == diagram.SVG) && !bytes.Contains(body, []byte(s.contains)) {
					t.Errorf("render does not show %q", s.contains)
				}
				resp, posted := post(t, api+"/"+s.typ+"/"+string(f), "text/plain", s.source)
				if resp.StatusCode != 200 || resp.Header.Get("X-Cache") != "hit" {
					t.Fatalf("POST of the same source: %d, X-Cache %q", resp.StatusCode, resp.Header.Get("X-Cache"))
				}
				if !bytes.Equal(posted, body) {
					t.Error("POST and GET of one source differ")
				}
			})
		}
	}
	t.Run("POST first", func(t *testing.T) {
		resp, body := post(t, api+"/graphviz/png", "application/x-www-form-urlencoded", "digraph { posted -> first }")
		if resp.StatusCode != 200 || resp.Header.Get("X-Cache") != "miss" {
			t.Fatalf("POST: %d %s", resp.StatusCode, resp.Header.Get("X-Cache"))
		}
		valid(t, diagram.PNG, body)
	})
}

// TestTypesWithoutALocalEngine: the renderer says which server draws a
// type it has no engine for, and the API, enabling only the local
// engines' types, calls it disabled. (Each engine's own errors are in
// TestEveryEngineDrawsItsDocumentation.)
func TestTypesWithoutALocalEngine(t *testing.T) {
	stack := stacktest.Start(t, stacktest.Options{})
	api := stack.API.URL
	resp, body := get(t, stack.Renderer.URL+"/structurizr/svg/"+diagram.Encode([]byte("workspace {}")))
	if resp.StatusCode != 400 || !strings.Contains(string(body), "KROKI_URL") {
		t.Errorf("a type without a local engine: %d %s", resp.StatusCode, body)
	}
	resp, body = get(t, api+"/structurizr/svg/"+diagram.Encode([]byte("workspace {}")))
	if resp.StatusCode != 400 || !strings.Contains(string(body), "disabled") {
		t.Errorf("the API with only local engines enabled: %d %s", resp.StatusCode, body)
	}
}

func TestSavedDiagramRenders(t *testing.T) {
	api := newStack(t)
	body, _ := json.Marshal(map[string]string{"diagram_type": "plantuml", "diagram_source": "@startuml\nAlice -> Bob: saved\n@enduml"})
	resp, out := post(t, api+"/v1/diagrams", "application/json", string(body))
	if resp.StatusCode != 201 {
		t.Fatalf("save: %d %s", resp.StatusCode, out)
	}
	var saved struct{ ID string }
	json.Unmarshal(out, &saved)
	resp, svg := get(t, api+"/d/"+saved.ID+"/svg")
	if resp.StatusCode != 200 {
		t.Fatalf("render saved: %d %s", resp.StatusCode, svg)
	}
	valid(t, diagram.SVG, svg)
	if !bytes.Contains(svg, []byte("saved")) {
		t.Error("the saved diagram's text is not in the render")
	}
}

// TestPlantUMLSandbox: file and URL includes never reach PlantUML.
func TestPlantUMLSandbox(t *testing.T) {
	api := newStack(t)
	src := "@startuml\n!include /etc/passwd\n!includeurl http://169.254.169.254/latest/meta-data/\nAlice -> Bob: safe\n@enduml"
	resp, body := get(t, api+"/plantuml/txt/"+diagram.Encode([]byte(src)))
	if resp.StatusCode != 200 {
		t.Fatalf("got %d %s", resp.StatusCode, body)
	}
	if bytes.Contains(body, []byte("root:")) {
		t.Fatal("the render shows /etc/passwd")
	}
	if !bytes.Contains(body, []byte("safe")) {
		t.Errorf("the diagram itself is missing: %s", body)
	}
}

// TestFailedRendersAreNeverCached: PlantUML's error screens and empty
// outputs, drawn with a success exit, are 400s through the API, and the
// same request is rendered again, never served as a hit.
func TestFailedRendersAreNeverCached(t *testing.T) {
	api := newStack(t)
	for _, c := range []struct{ name, format, src string }{
		{"no @startuml found screen, svg", "svg", "@startfoo\nA\n@endfoo"},
		{"no @startuml found screen, png", "png", "@startjson\n{}\n@endjson"},
		{"no @startuml found screen, txt", "txt", "@startyaml\na: b\n@endyaml"},
		{"an error flagged in pipe mode", "svg", "@startuml\nAlice -> Bob\nnot plantuml at all\n@enduml"},
	} {
		t.Run(c.name, func(t *testing.T) {
			for i := range 2 {
				resp, body := post(t, api+"/plantuml/"+c.format, "text/plain", c.src)
				if resp.StatusCode != 400 || resp.Header.Get("X-Cache") != "miss" {
					t.Fatalf("request %d: %d, X-Cache %q: %s", i, resp.StatusCode, resp.Header.Get("X-Cache"), body)
				}
			}
		})
	}
}
