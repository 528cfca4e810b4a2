package engine_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image"
	"image/png"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/engine"
	"github.com/umlimages/umlimages/internal/sandbox"
	"github.com/umlimages/umlimages/internal/testsupport/binpath"
	"github.com/umlimages/umlimages/internal/testsupport/stacktest"
)

// canaries are things a diagram must never get at: files in a temporary
// directory and in the repository, this process's environment, and a
// server on loopback. Every one carries token; leaks lists what an output
// must never contain.
type canaries struct {
	token     string
	dirs      []string // tmp and repository copies of the files below
	url       string   // the loopback server's base URL
	conns     atomic.Int64
	pngPrefix string // base64 of the canary PNG's header (its size is in it)
}

func newCanaries(t *testing.T) *canaries {
	t.Helper()
	c := &canaries{token: "CANARY" + strings.ReplaceAll(t.Name(), "/", "") + fmt.Sprint(time.Now().UnixNano())}
	t.Setenv("UMLIMAGES_CANARY", "ENV"+c.token)
	root, err := binpath.Root()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "build"), 0o755); err != nil {
		t.Fatal(err)
	}
	repoDir, err := os.MkdirTemp(filepath.Join(root, "build"), "canary-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(repoDir) })
	var img bytes.Buffer
	png.Encode(&img, image.NewGray(image.Rect(0, 0, 123, 45)))
	c.pngPrefix = base64.StdEncoding.EncodeToString(img.Bytes()[:24])
	for _, dir := range []string{t.TempDir(), repoDir} {
		files := map[string]string{
			"notes.txt":  "FILE" + c.token + "\nroot:x:0:0:root:/root:/bin/bash\n",
			"lib.puml":   "Bob -> Alice : FILE" + c.token + "\n",
			"sub.puml":   "!startsub PART\nBob -> Alice : FILE" + c.token + "\n!endsub\n",
			"pic.svg":    `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>FILE` + c.token + `</text></svg>`,
			"pic.png":    img.String(),
			"import.d2":  "leak: FILE" + c.token + "\n",
			"font.ttf":   "FILE" + c.token,
			"style.css":  "/* FILE" + c.token + " */",
			"lib.zip":    "FILE" + c.token,
			"data.json":  `{"leak": "FILE` + c.token + `"}`,
			"secret.dot": "digraph { FILE" + c.token + " }",
		}
		for name, body := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		c.dirs = append(c.dirs, dir)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "Bob -> Alice : FETCHED%s\n", c.token)
		}),
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				c.conns.Add(1)
			}
		},
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	c.url = "http://" + l.Addr().String()
	return c
}

// leaked names what out shows that it must not.
func (c *canaries) leaked(out []byte) []string {
	var found []string
	for _, m := range []string{c.token, "root:x:0:0", c.pngPrefix, `width="123px"`, "UMLIMAGES_CANARY"} {
		if bytes.Contains(out, []byte(m)) {
			found = append(found, m)
		}
	}
	return found
}

type hostile struct {
	typ, name, src string
	// control: the case must leak with the sandbox off (and no filter),
	// which shows the check can see a leak at all.
	control bool
}

// hostileSources are, per engine, the ways its own documentation gives a
// diagram to read files, fetch URLs or read the environment, with the
// whitespace and continuation forms PlantUML's preprocessor accepts. F is
// a canary directory, U the canary server, P this process's pid.
func hostileSources() []hostile {
	var hs []hostile
	for _, ws := range []struct{ name, s string }{{"none", ""}, {"space", " "}, {"tab", "\t"}, {"form feed", "\f"}, {"vertical tab", "\v"}, {"mixed", " \t\f\v"}} {
		hs = append(hs,
			hostile{"plantuml", "include, whitespace " + ws.name, "@startuml\n" + ws.s + "!include F/lib.puml\nA -> B\n@enduml", ws.name == "none"},
			hostile{"plantuml", "includeurl, whitespace " + ws.name, "@startuml\n" + ws.s + "!includeurl U/lib.puml\nA -> B\n@enduml", ws.name == "none"},
		)
	}
	hs = append(hs,
		hostile{"plantuml", "include of a text file", "@startuml\n!include F/notes.txt\n@enduml", false},
		hostile{"plantuml", "include_many", "@startuml\n!include_many F/lib.puml\n@enduml", false},
		hostile{"plantuml", "include_once", "@startuml\n!include_once F/lib.puml\n@enduml", false},
		hostile{"plantuml", "includesub", "@startuml\n!includesub F/sub.puml!PART\n@enduml", false},
		hostile{"plantuml", "include with continuation", "@startuml\n!inc\\\nlude F/lib.puml\nA -> B\n@enduml", false},
		hostile{"plantuml", "include of a URL", "@startuml\n!include U/lib.puml\nA -> B\n@enduml", false},
		hostile{"plantuml", "include of a file URL", "@startuml\n!include file://F/lib.puml\nA -> B\n@enduml", false},
		hostile{"plantuml", "import of an archive", "@startuml\n!import F/lib.zip\n!include lib.puml\n@enduml", false},
		hostile{"plantuml", "include of /etc/passwd", "@startuml\n!include /etc/passwd\n@enduml", false},
		hostile{"plantuml", "include of this process's environment", "@startuml\n!include /proc/P/environ\n@enduml", false},
		hostile{"plantuml", "include of its own environment", "@startuml\n!include /proc/self/environ\n@enduml", false},
		hostile{"plantuml", "getenv", "@startuml\nA -> B : %getenv(\"UMLIMAGES_CANARY\")\n@enduml", false},
		hostile{"plantuml", "file_exists", "@startuml\n!if %file_exists(\"F/notes.txt\")\nA -> B : FILE_EXISTS_TOKEN\n!endif\n@enduml", true},
		hostile{"plantuml", "load_json", "@startuml\n!$j = %load_json(\"F/data.json\")\nA -> B : $j.leak\n@enduml", false},
		hostile{"plantuml", "creole image, path", "@startuml\nA -> B : <img:F/pic.png>\n@enduml", false},
		hostile{"plantuml", "creole image, svg file", "@startuml\nA -> B : <img:F/pic.svg>\n@enduml", true},
		hostile{"plantuml", "creole image, file URL", "@startuml\nA -> B : <img:file://F/pic.svg>\n@enduml", false},
		hostile{"plantuml", "creole image, http", "@startuml\nA -> B : <img:U/pic.png>\n@enduml", false},
		hostile{"plantuml", "html image, space", "@startuml\nA -> B : <img U/pic.png>\n@enduml", false},
		hostile{"plantuml", "html image, src", "@startuml\nA -> B : <img src=\"U/pic.png\">\n@enduml", false},
		hostile{"plantuml", "html image, src path", "@startuml\nA -> B : <img src=\"F/pic.svg\">\n@enduml", false},
		hostile{"plantuml", "sprite from a file", "@startuml\nsprite $s F/pic.png\nA -> B : <$s>\n@enduml", false},
		hostile{"plantuml", "theme from a URL", "@startuml\n!theme leak from U\nA -> B\n@enduml", false},
		hostile{"plantuml", "link", "@startuml\nA -> B : [[U/link]]\n@enduml", false},
		hostile{"plantuml", "dot binary chosen by the diagram", "@startuml\n!pragma graphviz_dot /usr/bin/cat\nclass A\n@enduml", false},
		hostile{"plantuml", "json with include", "@startjson\n!include F/data.json\n@endjson", false},
		hostile{"c4plantuml", "include next to the standard library", "@startuml\n!include <C4/C4_Container>\n!include F/lib.puml\nPerson(u, \"U\")\n@enduml", false},
		hostile{"c4plantuml", "includeurl of a C4 release", "@startuml\n!includeurl U/C4_Container.puml\nPerson(u, \"U\")\n@enduml", false},
		hostile{"ditaa", "ditaa art naming files", "+-----------+\n| F/notes.txt |\n+-----------+\n", false},

		hostile{"graphviz", "image", "digraph { a [image=\"F/pic.png\"] }", false},
		hostile{"graphviz", "image, svg", "digraph { a [shape=none image=\"F/pic.svg\"] }", false},
		hostile{"graphviz", "image through imagepath", "digraph { imagepath=\"F\" a [image=\"pic.png\"] }", false},
		hostile{"graphviz", "shapefile", "digraph { a [shape=custom shapefile=\"F/pic.png\"] }", false},
		hostile{"graphviz", "html IMG", "digraph { a [label=<<TABLE><TR><TD><IMG SRC=\"F/pic.png\"/></TD></TR></TABLE>>] }", false},
		hostile{"graphviz", "image of a URL", "digraph { a [image=\"U/pic.png\"] }", false},
		hostile{"graphviz", "image of /proc", "digraph { a [image=\"/proc/P/environ\"] }", false},
		hostile{"graphviz", "font from a path", "digraph { fontpath=\"F\" a [fontname=\"F/font.ttf\"] }", false},
		hostile{"graphviz", "stylesheet", "digraph { stylesheet=\"U/style.css\" a }", false},
		hostile{"graphviz", "URL", "digraph { a [URL=\"U/link\" target=\"_top\"] }", false},

		hostile{"d2", "spread import", "...@F/import\nx", false},
		hostile{"d2", "import", "x: @F/import", false},
		hostile{"d2", "import of /etc/passwd", "x: @/etc/passwd", false},
		hostile{"d2", "icon, file", "x.icon: F/pic.svg", false},
		hostile{"d2", "image shape, file", "x: {shape: image; icon: F/pic.png}", false},
		hostile{"d2", "icon, URL", "x.icon: U/pic.svg", false},
		hostile{"d2", "markdown image", "x: |md\n  ![i](U/pic.png)\n|", false},
		hostile{"d2", "link", "x.link: U/link", false},

		// The blockdiag family draws images named by attributes, from
		// files or fetched.
		hostile{"blockdiag", "icon of a URL", "blockdiag { A [icon = \"U/pic.png\"]; A -> B; }", true},
		hostile{"blockdiag", "background of a URL", "blockdiag { A [background = \"U/pic.png\"]; }", false},
		hostile{"blockdiag", "icon from a file", "blockdiag { A [icon = \"F/pic.png\"]; }", false},
		hostile{"blockdiag", "label of a file", "blockdiag { A [label = \"F/notes.txt\"]; }", false},
		hostile{"seqdiag", "icon of a URL", "seqdiag { A [icon = \"U/pic.png\"]; A -> B; }", true},
		hostile{"actdiag", "icon of a URL", "actdiag { A -> B; lane l { A [icon = \"U/pic.png\"]; } }", false},
		hostile{"nwdiag", "icon of a URL", "nwdiag { network n { A [icon = \"U/pic.png\"]; } }", true},
		hostile{"rackdiag", "icon of a URL", "rackdiag { 4U; 1: A [icon = \"U/pic.png\"]; }", false},

		// The Node engines: Vega's loader, nomnoml's import, the SCI
		// interpreter behind bytefield.
		hostile{"vega", "data of a URL", `{"data": [{"name": "t", "url": "U/data.json"}], "marks": [{"type": "text", "from": {"data": "t"}, "encode": {"enter": {"text": {"field": "leak"}}}}]}`, false},
		hostile{"vega", "data of a file", `{"data": [{"name": "t", "url": "F/data.json"}], "marks": [{"type": "text", "from": {"data": "t"}, "encode": {"enter": {"text": {"field": "leak"}}}}]}`, false},
		hostile{"vega", "data of a file URL", `{"data": [{"name": "t", "url": "file://F/data.json"}], "marks": [{"type": "text", "from": {"data": "t"}, "encode": {"enter": {"text": {"field": "leak"}}}}]}`, false},
		hostile{"vega", "image mark", `{"width": 10, "height": 10, "marks": [{"type": "image", "encode": {"enter": {"url": {"value": "U/pic.png"}, "width": {"value": 10}, "height": {"value": 10}}}}]}`, false},
		hostile{"vegalite", "data of a URL", `{"data": {"url": "U/data.json"}, "mark": "text", "encoding": {"text": {"field": "leak"}}}`, false},
		hostile{"vegalite", "data of a file", `{"data": {"url": "F/data.json"}, "mark": "text", "encoding": {"text": {"field": "leak"}}}`, false},
		hostile{"nomnoml", "import", "#import: F/notes.txt\n[a]->[b]", false},
		hostile{"bytefield", "slurp", "(draw-column-headers)\n(draw-box (slurp \"F/notes.txt\") {:span 16})", false},
		hostile{"bytefield", "require fs", "(draw-column-headers)\n(draw-box (.readFileSync (js/require \"fs\") \"F/notes.txt\" \"utf8\") {:span 16})", false},
		hostile{"dbml", "note naming a file", "Table t {\n  id int [note: 'F/notes.txt']\n}", false},

		// The browser engines: markup in labels, Mermaid's own
		// configuration, XML entities.
		hostile{"mermaid", "image in a label", "graph TD\n  A[\"<img src='U/pic.png'>\"] --> B", false},
		hostile{"mermaid", "loose security, image of a file", "%%{init: {\"securityLevel\": \"loose\"}}%%\ngraph TD\n  A[\"<img src='file://F/pic.svg'>\"] --> B", false},
		hostile{"mermaid", "loose security, script", "%%{init: {\"securityLevel\": \"loose\"}}%%\ngraph TD\n  A[\"<img src=x onerror=\\\"fetch('U/x')\\\">\"] --> B", false},
		hostile{"mermaid", "click link", "graph TD\n  A --> B\n  click A \"U/link\"", false},
		hostile{"mermaid", "style from a URL", "graph TD\n  A --> B\n  style A fill:url(U/pic.png)", false},
		hostile{"mermaid", "font from a URL", "%%{init: {\"fontFamily\": \"x; src: url(U/font.ttf)\"}}%%\ngraph TD\n  A --> B", false},
		hostile{"bpmn", "external entity", `<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://F/notes.txt">]><definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"><process id="p"><task id="t" name="&x;"/></process><bpmndi:BPMNDiagram><bpmndi:BPMNPlane bpmnElement="p"><bpmndi:BPMNShape bpmnElement="t"><dc:Bounds x="0" y="0" width="100" height="80"/></bpmndi:BPMNShape></bpmndi:BPMNPlane></bpmndi:BPMNDiagram></definitions>`, false},
		hostile{"bpmn", "markup in a name", `<?xml version="1.0"?><definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"><process id="p"><task id="t" name="&lt;img src='U/pic.png'&gt;"/></process><bpmndi:BPMNDiagram><bpmndi:BPMNPlane bpmnElement="p"><bpmndi:BPMNShape bpmnElement="t"><dc:Bounds x="0" y="0" width="100" height="80"/></bpmndi:BPMNShape></bpmndi:BPMNPlane></bpmndi:BPMNDiagram></definitions>`, false},
		hostile{"excalidraw", "image file of a URL", `{"type": "excalidraw", "elements": [{"id": "i", "type": "image", "x": 0, "y": 0, "width": 10, "height": 10, "fileId": "f", "status": "saved"}], "files": {"f": {"id": "f", "mimeType": "image/png", "dataURL": "U/pic.png"}}}`, false},
		hostile{"excalidraw", "link", `{"type": "excalidraw", "elements": [{"id": "r", "type": "rectangle", "x": 0, "y": 0, "width": 10, "height": 10, "link": "U/link"}]}`, false},
		hostile{"diagramsnet", "image of a URL", `<mxGraphModel><root><mxCell id="0"/><mxCell id="1" parent="0"/><mxCell id="2" style="shape=image;image=U/pic.png;" vertex="1" parent="1"><mxGeometry width="80" height="30" as="geometry"/></mxCell></root></mxGraphModel>`, false},
		hostile{"diagramsnet", "image of a file", `<mxGraphModel><root><mxCell id="0"/><mxCell id="1" parent="0"/><mxCell id="2" style="shape=image;image=file://F/pic.svg;" vertex="1" parent="1"><mxGeometry width="80" height="30" as="geometry"/></mxCell></root></mxGraphModel>`, false},
		hostile{"diagramsnet", "stencil library of a URL", `<mxGraphModel><root><mxCell id="0"/><mxCell id="1" parent="0"/><mxCell id="2" style="shape=mxgraph.leak.x;" vertex="1" parent="1"><mxGeometry width="80" height="30" as="geometry"/></mxCell></root></mxGraphModel>`, false},
		hostile{"diagramsnet", "html label with an image", `<mxGraphModel><root><mxCell id="0"/><mxCell id="1" parent="0"/><mxCell id="2" value="&lt;img src='U/pic.png'&gt;" style="html=1;" vertex="1" parent="1"><mxGeometry width="80" height="30" as="geometry"/></mxCell></root></mxGraphModel>`, false},
		hostile{"diagramsnet", "external entity", `<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file://F/notes.txt">]><mxGraphModel><root><mxCell id="0"/><mxCell id="1" parent="0"/><mxCell id="2" value="&x;" vertex="1" parent="1"><mxGeometry width="80" height="30" as="geometry"/></mxCell></root></mxGraphModel>`, false},
		hostile{"tikz", "input of a file", "\\documentclass{standalone}\n\\begin{document}\n\\input{F/notes.txt}\n\\end{document}", false},
		hostile{"tikz", "input of /etc/passwd", "\\documentclass{standalone}\n\\begin{document}\n\\input{/etc/passwd}\n\\end{document}", false},
		hostile{"tikz", "openin and read", "\\documentclass{standalone}\n\\begin{document}\n\\newread\\f\\openin\\f=F/notes.txt \\read\\f to\\x \\x\n\\end{document}", false},
		hostile{"tikz", "verbatim input", "\\documentclass{standalone}\n\\usepackage{verbatim}\n\\begin{document}\n\\verbatiminput{F/notes.txt}\n\\end{document}", false},
		hostile{"tikz", "shell escape", "\\documentclass{standalone}\n\\begin{document}\n\\immediate\\write18{curl U/x}\nx\n\\end{document}", false},
		hostile{"tikz", "image of a file", "\\documentclass{standalone}\n\\usepackage{graphicx}\n\\begin{document}\n\\includegraphics{F/pic.png}\n\\end{document}", false},
	)
	return hs
}

func (c *canaries) source(h hostile, dir string) string {
	src := strings.ReplaceAll(h.src, "FILE_EXISTS_TOKEN", "FILE"+c.token)
	src = strings.ReplaceAll(src, "U/", c.url+"/")
	src = strings.ReplaceAll(src, "U\n", c.url+"\n")
	src = strings.ReplaceAll(src, "/proc/P/", fmt.Sprintf("/proc/%d/", os.Getpid()))
	return strings.ReplaceAll(src, "F/", dir+"/")
}

// hostileEngines are every local engine, in the sandbox or (unsandboxed)
// out of it, with PlantUML's filter off: the sandbox alone must hold.
func hostileEngines(t *testing.T, unsandboxed bool) map[string]engine.Engine {
	t.Helper()
	local := engine.NewLocal(engine.Config{Timeout: time.Minute, Self: self(t), Scripts: stacktest.Scripts(t), Unsandboxed: unsandboxed})
	t.Cleanup(func() { local.Close() })
	if len(local.Missing) > 0 {
		t.Fatalf("engines missing (run `make engines`): %v", local.Missing)
	}
	b, err := sandbox.New(unsandboxed)
	if err != nil {
		t.Fatal(err)
	}
	p := engine.NewPlantUML(b, engine.PlantUMLOptions{Java: "/usr/bin/java", Jar: engine.PlantUMLJar, Pool: 1, Timeout: time.Minute})
	t.Cleanup(func() { p.Close() })
	local.Engines["plantuml"], local.Engines["c4plantuml"], local.Engines["ditaa"] = p, p, p.Ditaa()
	return local.Engines
}

func textFormats(typ string) []diagram.Format {
	switch typ {
	case "plantuml":
		return []diagram.Format{diagram.SVG, diagram.TXT}
	default:
		return []diagram.Format{diagram.SVG}
	}
}

// TestHostileSourcesInTheSandbox: with the sandbox and without any filter,
// no hostile source gets a file's content, an environment value or a
// fetched body into an output or an error, and the canary server is never
// connected to.
func TestHostileSourcesInTheSandbox(t *testing.T) {
	c := newCanaries(t)
	engines := hostileEngines(t, false)
	ctx := context.Background()
	for _, h := range hostileSources() {
		for _, dir := range c.dirs {
			for _, f := range textFormats(h.typ) {
				out, err := engines[h.typ].Render(ctx, f, []byte(c.source(h, dir)), nil)
				if err != nil {
					out = append(out, err.Error()...)
				}
				if leaks := c.leaked(out); len(leaks) > 0 {
					t.Errorf("%s %s (%s, %s): the output shows %q", h.typ, h.name, f, dir, leaks)
				}
			}
		}
	}
	if n := c.conns.Load(); n != 0 {
		t.Errorf("the canary server on loopback was connected to %d times", n)
	}
}

// TestHostileSourcesLeakWithoutTheSandbox is the control: with the sandbox
// off (and no filter) the marked cases do leak, so the test above would
// see a leak if the sandbox let one through.
func TestHostileSourcesLeakWithoutTheSandbox(t *testing.T) {
	c := newCanaries(t)
	engines := hostileEngines(t, true)
	for _, h := range hostileSources() {
		if !h.control {
			continue
		}
		src := c.source(h, c.dirs[0])
		before := c.conns.Load()
		out, _ := engines[h.typ].Render(context.Background(), diagram.SVG, []byte(src), nil)
		if len(c.leaked(out)) == 0 && c.conns.Load() == before {
			t.Errorf("%s %s: no leak without the sandbox either; the check cannot see one\n%s", h.typ, h.name, out)
		}
	}
}
