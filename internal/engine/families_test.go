package engine_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/engine"
	"github.com/umlimages/umlimages/internal/testsupport/stacktest"
)

// docSample is, per type, a diagram from the tool's own documentation,
// and a broken one with what the engine says of it and on which line.
type docSample struct {
	source         string
	broken         string
	message        string // a part of the engine's message for broken
	line           string // X-Diagram-Error-Line for broken ("" when the engine names none)
	noSyntaxErrors string // why broken is empty: the language has no invalid input
}

// docSamples: every type the local renderer draws must have one.
var docSamples = map[string]docSample{
	"graphviz": {source: "digraph G {\n  main -> parse -> execute;\n  main -> init;\n  main -> cleanup;\n  execute -> make_string;\n  execute -> printf\n  init -> make_string;\n  main -> printf;\n  execute -> compare;\n}\n",
		broken: "digraph G {\n  a -> \n}", message: "syntax error in line 3", line: "3"},
	"plantuml": {source: "@startuml\nAlice -> Bob: Authentication Request\nBob --> Alice: Authentication Response\n\nAlice -> Bob: Another authentication Request\nAlice <-- Bob: Another authentication Response\n@enduml\n",
		broken: "@startuml\nAlice -> Bob: hi\nthis is not plantuml\n@enduml", message: "Syntax Error?", line: "3"},
	"c4plantuml": {source: "@startuml\n!include <C4/C4_Container>\nPerson(admin, \"Administrator\")\nSystem_Boundary(c1, \"Sample System\") {\n  Container(web_app, \"Web Application\", \"C#, ASP.NET Core 2.1 MVC\", \"Allows users to compare multiple Twitter timelines\")\n}\nSystem(twitter, \"Twitter\")\nRel(admin, web_app, \"Uses\", \"HTTPS\")\nRel(web_app, twitter, \"Gets tweets from\", \"HTTPS\")\n@enduml\n",
		broken: "@startuml\n!include <C4/C4_Container>\nPerson(admin, \"Administrator\"\n@enduml", message: "Fatal parsing error", line: "3"},
	"ditaa": {source: "    +--------+   +-------+    +-------+\n    |        | --+ ditaa +--> |       |\n    |  Text  |   +-------+    |diagram|\n    |Document|   |!magic!|    |       |\n    |     {d}|   |       |    |       |\n    +---+----+   +-------+    +-------+\n        :                         ^\n        |       Lots of work      |\n        +-------------------------+\n",
		noSyntaxErrors: "ditaa draws any text"},
	"d2": {source: "x -> y: hello world\ny -> z: {\n  style.stroke-dash: 3\n}\n", broken: "a -> b\nc: {", message: "maps must be terminated with }", line: "2"},

	// blockdiag.com's examples.
	"blockdiag": {source: "blockdiag {\n   A -> B -> C -> D;\n   A -> E -> F -> G;\n}\n",
		broken: "blockdiag {\n  A -> B\n  B -> ;\n}\n", message: "got unexpected token: ';'", line: "3"},
	"seqdiag": {source: "seqdiag {\n  browser  -> webserver [label = \"GET /index.html\"];\n  browser <-- webserver;\n  browser  -> webserver [label = \"POST /blog/comment\"];\n              webserver  -> database [label = \"INSERT comment\"];\n              webserver <-- database;\n  browser <-- webserver;\n}\n",
		broken: "seqdiag {\n  a -> b\n  a => ;\n}\n", message: "got unexpected token: ';'", line: "3"},
	"actdiag": {source: "actdiag {\n  write -> convert -> image\n\n  lane user {\n     label = \"User\"\n     write [label = \"Writing reST\"];\n     image [label = \"Get diagram IMAGE\"];\n  }\n  lane actdiag {\n     convert [label = \"Convert reST to Image\"];\n  }\n}\n",
		broken: "actdiag {\n  a -> b\n  lane x [\n}\n", message: "got unexpected token: '}'", line: "4"},
	"nwdiag": {source: "nwdiag {\n  network dmz {\n      address = \"210.x.x.x/24\"\n\n      web01 [address = \"210.x.x.1\"];\n      web02 [address = \"210.x.x.2\"];\n  }\n  network internal {\n      address = \"172.x.x.x/24\";\n\n      web01 [address = \"172.x.x.1\"];\n      web02 [address = \"172.x.x.2\"];\n      db01;\n      db02;\n  }\n}\n",
		broken: "nwdiag {\n  network a {\n    b [address = ]\n  }\n}\n", message: "got unexpected token: ']'", line: "3"},
	"packetdiag": {source: "packetdiag {\n  colwidth = 32\n  node_height = 72\n\n  0-15: Source Port\n  16-31: Destination Port\n  32-63: Sequence Number\n  64-95: Acknowledgment Number\n  96-99: Data Offset\n  100-105: Reserved\n  106: URG [rotate = 270];\n  107: ACK [rotate = 270];\n  108: PSH [rotate = 270];\n  109: RST [rotate = 270];\n  110: SYN [rotate = 270];\n  111: FIN [rotate = 270];\n  112-127: Window\n  128-143: Checksum\n  144-159: Urgent Pointer\n  160-191: (Options and Padding)\n  192-223: data [colheight = 3];\n}\n",
		broken: "packetdiag {\n  0-15: a\n  16-: b\n}\n", message: "expected: number", line: "3"},
	"rackdiag": {source: "rackdiag {\n  // define height of rack\n  16U;\n\n  // define rack items\n  1: UPS [2U];\n  3: DB Server\n  4: Web Server\n  5: Web Server\n  6: Web Server\n  7: Load Balancer\n  8: L3 Switch\n}\n",
		broken: "rackdiag {\n  16U;\n  1: UPS [2U;\n}\n", message: "expected: ']'", line: "3"},

	// The Vega and Vega-Lite documentation's bar charts.
	"vega": {source: `{
  "$schema": "https://vega.github.io/schema/vega/v5.json",
  "description": "A basic bar chart example, with value labels shown upon pointer hover.",
  "width": 400, "height": 200, "padding": 5,
  "data": [{"name": "table", "values": [
    {"category": "A", "amount": 28}, {"category": "B", "amount": 55}, {"category": "C", "amount": 43},
    {"category": "D", "amount": 91}, {"category": "E", "amount": 81}, {"category": "F", "amount": 53}]}],
  "scales": [
    {"name": "xscale", "type": "band", "domain": {"data": "table", "field": "category"}, "range": "width", "padding": 0.05, "round": true},
    {"name": "yscale", "domain": {"data": "table", "field": "amount"}, "nice": true, "range": "height"}
  ],
  "axes": [{"orient": "bottom", "scale": "xscale"}, {"orient": "left", "scale": "yscale"}],
  "marks": [{"type": "rect", "from": {"data": "table"}, "encode": {
    "enter": {"x": {"scale": "xscale", "field": "category"}, "width": {"scale": "xscale", "band": 1},
              "y": {"scale": "yscale", "field": "amount"}, "y2": {"scale": "yscale", "value": 0}},
    "update": {"fill": {"value": "steelblue"}}}}]
}
`, broken: "{\n  \"width\": 100,\n  \"marks\": [}\n", message: "invalid character '}'", line: "3"},
	"vegalite": {source: `{
  "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
  "description": "A simple bar chart with embedded data.",
  "data": {"values": [
    {"a": "A", "b": 28}, {"a": "B", "b": 55}, {"a": "C", "b": 43},
    {"a": "D", "b": 91}, {"a": "E", "b": 81}, {"a": "F", "b": 53},
    {"a": "G", "b": 19}, {"a": "H", "b": 87}, {"a": "I", "b": 52}
  ]},
  "mark": "bar",
  "encoding": {
    "x": {"field": "a", "type": "nominal", "axis": {"labelAngle": 0}},
    "y": {"field": "b", "type": "quantitative"}
  }
}
`, broken: "{\n  \"mark\": \"bar\",\n  \"encoding\": {\"x\": {\"field\": \"a\" \"type\": \"nominal\"}}\n}\n", message: "invalid character", line: "3"},
	// WaveDrom's tutorial, step 1.
	"wavedrom": {source: "{ signal: [\n  { name: \"clk\",         wave: \"p.....|...\" },\n  { name: \"Data\",        wave: \"x.345x|=.x\", data: [\"head\", \"body\", \"tail\", \"data\"] },\n  { name: \"Request\",     wave: \"0.1..0|1.0\" },\n  {},\n  { name: \"Acknowledge\", wave: \"1.....|01.\" }\n]}\n",
		broken: "{ signal: [\n  { name: \"clk\", wave: \"p...\" ,\n]}\n", message: "invalid character ']'", line: "3"},
	// nomnoml's README.
	"nomnoml": {source: "[Pirate|eyeCount: Int|raid();pillage()|\n  [beard]--[parrot]\n  [beard]-:>[foul mouth]\n]\n\n[<abstract>Marauder]<:--[Pirate]\n[Pirate]- 0..7[mischief]\n[jollyness]->[Pirate]\n[jollyness]->[rum]\n[jollyness]->[singing]\n[Pirate]-> *[rum|tastiness: Int|swig()]\n[Pirate]->[singing]\n[singing]<->[rum]\n",
		broken: "[a] -> [b]\n[c -> [d]\n", message: "Parse error at line 2", line: "2"},
	// bytefield-svg's README.
	"bytefield": {source: "(defattrs :bg-green {:fill \"#a0ffa0\"})\n(defattrs :bg-yellow {:fill \"#ffffa0\"})\n(defattrs :bg-pink {:fill \"#ffb0a0\"})\n\n(draw-column-headers)\n(draw-box 0x11 :bg-green)\n(draw-box 0x6e :bg-yellow)\n(draw-box \"Address\" [:bg-pink {:span 4}])\n(draw-box \"Size\" [{:span 2}])\n(draw-gap \"Payload\")\n(draw-bottom)\n",
		broken: "(draw-column-headers)\n(draw-box \"a\"\n", message: "EOF while reading", line: "2"},
	// The DBML documentation's example.
	"dbml": {source: "Table users {\n  id integer [primary key]\n  username varchar\n  role varchar\n  created_at timestamp\n}\n\nTable posts {\n  id integer [primary key]\n  title varchar\n  body text [note: 'Content of the post']\n  user_id integer\n  status post_status\n  created_at timestamp\n}\n\nEnum post_status {\n  draft\n  published\n  private [note: 'visible via URL only']\n}\n\nRef: posts.user_id > users.id // many-to-one\n",
		broken: "Table users {\n  id integer\n  name\n", message: "Could not parse input at line 3", line: "3"},
	// svgbob's README.
	"svgbob": {source: "       .---.\n      /-o-/--\n   .-/ / /->\n  ( *  \\/\n   '-.  \\\n      \\ /\n       '\n\n    +------+   .------.    .------.\n    |      |   |      |    |      |\n    | Box  |-->| Bob  |--->| SVG  |\n    |      |   |      |    |      |\n    +------+   '------'    '------'\n",
		noSyntaxErrors: "svgbob draws any text"},
	// pikchr.org's first example.
	"pikchr": {source: "arrow right 200% \"Markdown\" \"Source\"\nbox rad 10px \"Markdown\" \"Formatter\" \"(markdown.c)\" fit\narrow right 200% \"HTML+SVG\" \"Output\"\narrow <-> down 70% from last box.s\nbox same \"Pikchr\" \"Formatter\" \"(pikchr.c)\" fit\n",
		broken: "box \"a\"\narrow\nbox \"b\" fill nocolor\n", message: "no such variable", line: "3"},

	// mermaid.js.org's flowchart example.
	"mermaid": {source: "flowchart TD\n    A[Christmas] -->|Get money| B(Go shopping)\n    B --> C{Let me think}\n    C -->|One| D[Laptop]\n    C -->|Two| E[iPhone]\n    C -->|Three| F[fa:fa-car Car]\n",
		broken: "sequenceDiagram\n  Alice->>Bob: Hi\n  Bob-->>: Hello", message: "Parse error on line 3", line: "3"},
	// bpmn-js's starter diagram.
	"bpmn": {source: `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="Process_1" isExecutable="false">
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:task id="Task_1" name="Do something"><bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing></bpmn:task>
    <bpmn:endEvent id="EndEvent_1"><bpmn:incoming>Flow_2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_1" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_1" targetRef="EndEvent_1" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="Process_1">
      <bpmndi:BPMNShape id="StartEvent_1_di" bpmnElement="StartEvent_1"><dc:Bounds x="173" y="102" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Task_1_di" bpmnElement="Task_1"><dc:Bounds x="260" y="80" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="EndEvent_1_di" bpmnElement="EndEvent_1"><dc:Bounds x="412" y="102" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="Flow_1_di" bpmnElement="Flow_1"><di:waypoint x="209" y="120" /><di:waypoint x="260" y="120" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_2_di" bpmnElement="Flow_2"><di:waypoint x="360" y="120" /><di:waypoint x="412" y="120" /></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
`, broken: "<?xml version=\"1.0\"?>\n<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\">\n<process id=\"p\">\n</definitions>\n", message: "unparsable content", line: "3"},
	// Excalidraw's document format (docs.excalidraw.com, "JSON Schema"):
	// a hand-drawn box and a text.
	"excalidraw": {source: `{
  "type": "excalidraw", "version": 2, "source": "https://excalidraw.com",
  "elements": [
    {"id": "box", "type": "rectangle", "x": 10, "y": 10, "width": 200, "height": 100, "angle": 0,
     "strokeColor": "#1e1e1e", "backgroundColor": "#a5d8ff", "fillStyle": "hachure", "strokeWidth": 2,
     "strokeStyle": "solid", "roughness": 1, "opacity": 100, "seed": 1, "version": 1, "versionNonce": 1,
     "isDeleted": false, "groupIds": [], "boundElements": [], "roundness": null},
    {"id": "label", "type": "text", "x": 40, "y": 140, "width": 120, "height": 25, "angle": 0,
     "strokeColor": "#1e1e1e", "backgroundColor": "transparent", "fillStyle": "solid", "strokeWidth": 1,
     "strokeStyle": "solid", "roughness": 1, "opacity": 100, "seed": 2, "version": 1, "versionNonce": 2,
     "isDeleted": false, "groupIds": [], "text": "Hello Excalidraw", "fontSize": 20, "fontFamily": 1,
     "textAlign": "left", "verticalAlign": "top", "baseline": 18, "originalText": "Hello Excalidraw", "containerId": null}
  ],
  "appState": {"viewBackgroundColor": "#ffffff", "gridSize": null},
  "files": {}
}
`, broken: "{\"type\": \"excalidraw\", \"elements\": [\n}", message: "is not valid JSON"},
	// draw.io's file format: two shapes and a labelled edge.
	"diagramsnet": {source: `<mxfile host="app.diagrams.net">
  <diagram id="d" name="Page-1">
    <mxGraphModel dx="800" dy="600" grid="1" gridSize="10" page="1" pageWidth="850" pageHeight="1100">
      <root>
        <mxCell id="0"/>
        <mxCell id="1" parent="0"/>
        <mxCell id="a" value="Client" style="rounded=1;whiteSpace=wrap;html=1;fillColor=#dae8fc;strokeColor=#6c8ebf;" vertex="1" parent="1">
          <mxGeometry x="40" y="40" width="120" height="60" as="geometry"/>
        </mxCell>
        <mxCell id="b" value="Database" style="shape=cylinder3;whiteSpace=wrap;html=1;" vertex="1" parent="1">
          <mxGeometry x="260" y="30" width="80" height="80" as="geometry"/>
        </mxCell>
        <mxCell id="e" value="calls" style="edgeStyle=orthogonalEdgeStyle;rounded=0;html=1;endArrow=classic;" edge="1" parent="1" source="a" target="b">
          <mxGeometry relative="1" as="geometry"/>
        </mxCell>
      </root>
    </mxGraphModel>
  </diagram>
</mxfile>
`, broken: "<mxGraphModel>\n<root>\n<mxCell id=\"0\">\n</root></mxGraphModel>", message: "Unexpected closing tag", line: "4"},
	// The PGF manual's first tutorial picture (Karl's students).
	"tikz": {source: `\documentclass{standalone}
\usepackage{tikz}
\begin{document}
\begin{tikzpicture}[scale=3]
  \clip (-0.1,-0.2) rectangle (1.1,0.75);
  \draw[step=.5cm,gray,very thin] (-1.4,-1.4) grid (1.4,1.4);
  \draw (-1.5,0) -- (1.5,0);
  \draw (0,-1.5) -- (0,1.5);
  \draw (0,0) circle [radius=1cm];
  \draw (3mm,0mm) arc [start angle=0, end angle=30, radius=3mm];
\end{tikzpicture}
\end{document}
`, broken: "\\documentclass{standalone}\n\\usepackage{tikz}\n\\begin{document}\n\\begin{tikzpicture}\n  \\draww (0,0) -- (1,1);\n\\end{tikzpicture}\n\\end{document}\n", message: "Undefined control sequence", line: "5"},
}

// capabilitiesOf reads what a renderer publishes.
func capabilitiesOf(t *testing.T, renderer string) map[string]diagram.Capability {
	t.Helper()
	resp, body := get(t, renderer+diagram.CapabilitiesPath)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("capabilities: %d %s", resp.StatusCode, body)
	}
	var out struct {
		Types []diagram.Capability `json:"types"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	caps := map[string]diagram.Capability{}
	for _, c := range out.Types {
		caps[c.Name] = c
	}
	return caps
}

// TestEveryEngineDrawsItsDocumentation: through the API, each type the
// renderer publishes draws its documentation's sample in every format it
// advertises (each output parsing as its format), and answers a broken
// source with a 400 carrying the engine's message and line.
func TestEveryEngineDrawsItsDocumentation(t *testing.T) {
	stack := stacktest.Start(t, stacktest.Options{})
	caps := capabilitiesOf(t, stack.Renderer.URL)
	if len(caps) != len(engine.Types()) {
		t.Fatalf("the renderer publishes %d types, want the %d of engine.Types()", len(caps), len(engine.Types()))
	}
	for _, name := range engine.Types() {
		t.Run(name, func(t *testing.T) {
			s, ok := docSamples[name]
			if !ok {
				t.Fatal("no documentation sample")
			}
			for _, f := range caps[name].Formats {
				resp, body := get(t, stack.API.URL+"/"+name+"/"+string(f)+"/"+diagram.Encode([]byte(s.source)))
				if resp.StatusCode != http.StatusOK {
					t.Errorf("%s: %d %.300s", f, resp.StatusCode, body)
					continue
				}
				if resp.Header.Get("Content-Type") != f.ContentType() {
					t.Errorf("%s: Content-Type %q", f, resp.Header.Get("Content-Type"))
				}
				t.Run(string(f), func(t *testing.T) { valid(t, f, body) })
			}
			if s.broken == "" {
				t.Logf("no syntax-error case: %s", s.noSyntaxErrors)
				return
			}
			resp, body := get(t, stack.API.URL+"/"+name+"/svg/"+diagram.Encode([]byte(s.broken)), "Accept", "application/json")
			var e struct {
				Error struct{ Message string } `json:"error"`
			}
			json.Unmarshal(body, &e)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(e.Error.Message, s.message) {
				t.Errorf("broken source: %d %s; want 400 with %q", resp.StatusCode, body, s.message)
			}
			if got := resp.Header.Get("X-Diagram-Error-Line"); got != s.line {
				t.Errorf("X-Diagram-Error-Line: %q, want %q (%s)", got, s.line, e.Error.Message)
			}
		})
	}
}

// TestOddInputIsTheDiagramsFault: a library that throws on input it does
// not expect (well-formed JSON of the wrong shape) gives a 400, not a 500.
func TestOddInputIsTheDiagramsFault(t *testing.T) {
	stack := stacktest.Start(t, stacktest.Options{})
	for _, c := range []struct{ typ, src string }{
		{"wavedrom", "null"}, {"wavedrom", `{"reg": 5}`}, {"vega", "null"}, {"vegalite", "5"},
		{"excalidraw", "null"}, {"bytefield", "(throw 5)"},
	} {
		resp, body := get(t, stack.Renderer.URL+"/"+c.typ+"/svg/"+diagram.Encode([]byte(c.src)))
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s %q: %d %.200s, want 400", c.typ, c.src, resp.StatusCode, body)
		}
	}
}
