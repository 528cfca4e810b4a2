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

// hostileEngines are the engines under test, with PlantUML's filter off:
// the sandbox alone must hold.
func hostileEngines(t *testing.T, b *sandbox.Sandbox) map[string]engine.Engine {
	t.Helper()
	p := engine.NewPlantUML(b, engine.PlantUMLOptions{Java: "/usr/bin/java", Jar: engine.PlantUMLJar, Pool: 1, Timeout: time.Minute})
	t.Cleanup(func() { p.Close() })
	return map[string]engine.Engine{
		"plantuml": p, "c4plantuml": p, "ditaa": p.Ditaa(),
		"graphviz": engine.NewGraphviz(b, "/usr/bin/dot", 2, time.Minute),
		"d2":       engine.NewD2(b, self(t), 2, time.Minute),
	}
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
	engines := hostileEngines(t, box(t))
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
	off, err := sandbox.New(true)
	if err != nil {
		t.Fatal(err)
	}
	engines := hostileEngines(t, off)
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
