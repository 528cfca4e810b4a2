package diagram

var (
	blockdiagFormats = []Format{PNG, SVG, PDF}
	plantumlFormats  = []Format{PNG, SVG, JPEG, PDF, Base64, TXT, UTXT}
	svgPNG           = []Format{SVG, PNG}
	svgOnly          = []Format{SVG}
)

// The options Kroki documents (docs.kroki.io, "Diagram Options").
var (
	blockdiagOptions = []Option{
		{Name: "antialias", Values: Flag, Description: "Apply an anti-alias filter to the image"},
		{Name: "no-transparency", Values: Flag, Description: "No transparent background (PNG only)"},
		{Name: "size", Example: "320x240", Description: "Size of the diagram, {width}x{height}"},
		{Name: "no-doctype", Values: Flag, Description: "Omit the doctype (SVG only)"},
	}
	d2Options = []Option{
		{Name: "theme", Values: []string{"0", "1", "3", "4", "5", "6", "7", "8", "100", "101", "102", "103", "104", "105", "200", "300", "301"},
			Description: "Theme: 0 default, 1 neutral grey, 3 flagship Terrastruct, ... 200 dark mauve, 300 terminal"},
		{Name: "layout", Values: []string{"dagre", "elk"}, Description: "Layout engine"},
		{Name: "sketch", Values: Flag, Description: "A hand-drawn look"},
	}
	ditaaOptions = []Option{
		{Name: "no-antialias", Values: Flag, Description: "Turn anti-aliasing off"},
		{Name: "no-separation", Values: Flag, Description: "Do not separate the common edges of shapes"},
		{Name: "round-corners", Values: Flag, Description: "Round every corner"},
		{Name: "no-shadows", Values: Flag, Description: "Turn shadows off"},
		{Name: "scale", Example: "1.5", Description: "Scale of the image"},
	}
	svgbobOptions = []Option{
		{Name: "background", Example: "white", Description: "Background color"},
		{Name: "fill-color", Example: "black", Description: "Fill color of solid shapes"},
		{Name: "font-family", Example: "monospace", Description: "Font of the text"},
		{Name: "font-size", Example: "14", Description: "Font size of the text"},
		{Name: "scale", Example: "1", Description: "Scale of the whole drawing"},
		{Name: "stroke-width", Example: "2", Description: "Width of lines"},
	}
	mermaidOptions = []Option{
		{Name: "theme", Values: []string{"default", "base", "dark", "forest", "neutral"}, Description: "Theme"},
	}
)

// table is Kroki's route table (31 route names: 30 types and the "dot"
// alias, with the formats each of Kroki's services declares) and what we
// know of each type besides.
var table = []Type{
	{Name: "actdiag", Extension: "diag", Options: blockdiagOptions, Formats: blockdiagFormats,
		Example: `actdiag {
  write -> convert -> image
  lane user {
    label = "User"
    write [label = "Write text"];
    image [label = "Get the image"];
  }
  lane service {
    label = "UML Images"
    convert [label = "Render"];
  }
}
`,
		Canary: "actdiag { a -> b }\n// NONCE"},
	{Name: "blockdiag", Extension: "diag", Options: blockdiagOptions, Formats: blockdiagFormats,
		Example: "blockdiag {\n  client -> api -> kroki;\n  api -> cache;\n}\n",
		Canary:  "blockdiag { a -> b }\n// NONCE"},
	{Name: "bpmn", Extension: "bpmn", Formats: svgOnly, Syntax: "xml",
		Example: `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="render" targetNamespace="http://bpmn.io/schema/bpmn">
  <process id="flow">
    <startEvent id="request" name="Request"/>
    <task id="draw" name="Render"/>
    <endEvent id="image" name="Image"/>
    <sequenceFlow id="f1" sourceRef="request" targetRef="draw"/>
    <sequenceFlow id="f2" sourceRef="draw" targetRef="image"/>
  </process>
  <bpmndi:BPMNDiagram id="diagram">
    <bpmndi:BPMNPlane id="plane" bpmnElement="flow">
      <bpmndi:BPMNShape id="request_di" bpmnElement="request"><dc:Bounds x="100" y="100" width="36" height="36"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="draw_di" bpmnElement="draw"><dc:Bounds x="190" y="78" width="100" height="80"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="image_di" bpmnElement="image"><dc:Bounds x="350" y="100" width="36" height="36"/></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="f1_di" bpmnElement="f1"><di:waypoint x="136" y="118"/><di:waypoint x="190" y="118"/></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f2_di" bpmnElement="f2"><di:waypoint x="290" y="118"/><di:waypoint x="350" y="118"/></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</definitions>
`,
		Canary: `<?xml version="1.0" encoding="UTF-8"?><!-- NONCE --><definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" id="d" targetNamespace="http://bpmn.io/schema/bpmn"><process id="p"><startEvent id="s"/></process><bpmndi:BPMNDiagram id="g"><bpmndi:BPMNPlane id="l" bpmnElement="p"><bpmndi:BPMNShape id="s_di" bpmnElement="s"><dc:Bounds x="0" y="0" width="36" height="36"/></bpmndi:BPMNShape></bpmndi:BPMNPlane></bpmndi:BPMNDiagram></definitions>`},
	{Name: "bytefield", Extension: "edn", Formats: svgOnly,
		Example: "(draw-column-headers)\n(draw-box \"type\" {:span 4})\n(draw-box \"length\" {:span 4})\n(draw-gap \"payload\")\n(draw-bottom)\n",
		Canary:  "(draw-column-headers)\n(draw-box \"probe\")\n; NONCE"},
	{Name: "c4plantuml", Extension: "puml", Formats: plantumlFormats, PlantUMLEncoding: true,
		Example: `@startuml
!include <C4/C4_Container>
Person(user, "User")
System_Boundary(s, "UML Images") {
  Container(api, "Render API", "Go, Lambda")
  Container(kroki, "Kroki", "Fargate")
}
Rel(user, api, "renders")
Rel(api, kroki, "on a miss")
@enduml
`,
		Canary: "@startuml\n!include <C4/C4_Context>\nPerson(u, \"User\")\n' NONCE\n@enduml"},
	{Name: "d2", Extension: "d2", Options: d2Options, Formats: svgOnly,
		Example: "client -> api: GET\napi -> cache: lookup\napi -> kroki: render on a miss\n",
		Canary:  "probe -> ok\n# NONCE"},
	{Name: "dbml", Extension: "dbml", Formats: svgOnly,
		Example: "Table diagrams {\n  id varchar [pk]\n  source text\n}\n\nTable renders {\n  key varchar [pk]\n  diagram_id varchar [ref: > diagrams.id]\n}\n",
		Canary:  "Table probe {\n  id int\n}\n// NONCE"},
	{Name: "diagramsnet", Extension: "drawio", Formats: []Format{PNG, SVG}, Syntax: "xml",
		Example: `<mxfile>
  <diagram id="render" name="Page-1">
    <mxGraphModel>
      <root>
        <mxCell id="0"/>
        <mxCell id="1" parent="0"/>
        <mxCell id="client" value="Client" style="rounded=1;whiteSpace=wrap;" vertex="1" parent="1"><mxGeometry x="20" y="20" width="100" height="40" as="geometry"/></mxCell>
        <mxCell id="api" value="Render API" style="rounded=1;whiteSpace=wrap;" vertex="1" parent="1"><mxGeometry x="180" y="20" width="100" height="40" as="geometry"/></mxCell>
        <mxCell id="get" value="GET" edge="1" parent="1" source="client" target="api"><mxGeometry relative="1" as="geometry"/></mxCell>
      </root>
    </mxGraphModel>
  </diagram>
</mxfile>
`,
		Canary: `<mxfile><diagram id="d"><mxGraphModel><root><mxCell id="0"/><mxCell id="1" parent="0"/><mxCell id="2" value="NONCE" vertex="1" parent="1"><mxGeometry width="80" height="30" as="geometry"/></mxCell></root></mxGraphModel></diagram></mxfile>`},
	{Name: "ditaa", Extension: "ditaa", Options: ditaaOptions, Formats: svgPNG, Preferred: PNG, KeepWhitespace: true,
		Example: "+--------+   +-------+   +-------+\n| client |-->|  API  |-->| Kroki |\n+--------+   +-------+   +-------+\n",
		Canary:  "+-------+\n| probe |\n+-------+\nNONCE"},
	{Name: "erd", Extension: "er", Formats: []Format{PNG, SVG, JPEG, PDF},
		Example: "[Diagram]\n*id\nsource\n\n[Render]\n*key\nformat\n\nDiagram 1--* Render\n",
		Canary:  "[probe]\nid\n# NONCE"},
	{Name: "excalidraw", Extension: "excalidraw", Formats: svgOnly, Syntax: "json",
		Example: `{
  "type": "excalidraw",
  "version": 2,
  "source": "https://excalidraw.com",
  "elements": [
    {"id": "box", "type": "rectangle", "x": 0, "y": 0, "width": 180, "height": 60, "angle": 0,
     "strokeColor": "#1e1e1e", "backgroundColor": "transparent", "fillStyle": "hachure", "strokeWidth": 1,
     "strokeStyle": "solid", "roughness": 1, "opacity": 100, "seed": 1, "version": 1, "versionNonce": 1,
     "isDeleted": false, "groupIds": [], "boundElements": null, "link": null, "locked": false},
    {"id": "label", "type": "text", "x": 30, "y": 18, "width": 120, "height": 25, "angle": 0,
     "strokeColor": "#1e1e1e", "backgroundColor": "transparent", "fillStyle": "hachure", "strokeWidth": 1,
     "strokeStyle": "solid", "roughness": 1, "opacity": 100, "seed": 2, "version": 1, "versionNonce": 2,
     "isDeleted": false, "groupIds": [], "boundElements": null, "link": null, "locked": false,
     "text": "UML Images", "fontSize": 20, "fontFamily": 1, "textAlign": "center", "verticalAlign": "middle",
     "baseline": 18, "containerId": null, "originalText": "UML Images"}
  ],
  "appState": {"viewBackgroundColor": "#ffffff"},
  "files": {}
}
`,
		Canary: `{"type":"excalidraw","version":2,"source":"NONCE","elements":[],"appState":{},"files":{}}`},
	{Name: "goat", Extension: "goat", Formats: svgOnly, KeepWhitespace: true,
		Example: "        .--------.      .-------.\n  ----->| client |----->|  API  |\n        '--------'      '---+---'\n                            |\n                            v\n                        .-------.\n                        | Kroki |\n                        '-------'\n",
		Canary:  ".---.\n| a |\n'---'\nNONCE"},
	{Name: "graphviz", Extension: "dot", Aliases: []string{"dot"}, Formats: []Format{PNG, SVG, JPEG, PDF},
		Example: "digraph G {\n  rankdir=LR;\n  client -> api [label=\"GET /graphviz/svg/…\"];\n  api -> cache [label=\"hit?\"];\n  api -> kroki [label=\"miss\"];\n}\n",
		Canary:  "digraph probe { a -> b }\n// NONCE"},
	{Name: "mermaid", Extension: "mmd", Options: mermaidOptions, Formats: []Format{PNG, SVG},
		Example: "graph LR\n  A[Client] --> B[API]\n  B --> C{Cached?}\n  C -->|yes| D[Image]\n  C -->|no| E[Kroki]\n",
		Canary:  "graph TD\n  a --> b\n%% NONCE"},
	{Name: "nomnoml", Extension: "nomnoml", Formats: svgOnly,
		Example: "[Client] -> [API]\n[API] -> [<database> Cache]\n[API] -> [Kroki]\n",
		Canary:  "[probe]->[ok]\n// NONCE"},
	{Name: "nwdiag", Extension: "diag", Options: blockdiagOptions, Formats: blockdiagFormats,
		Example: `nwdiag {
  network public {
    address = "203.0.113.0/24"
    edge [address = "203.0.113.10"];
  }
  network private {
    address = "10.0.0.0/24";
    edge [address = "10.0.0.1"];
    api;
    kroki;
  }
}
`,
		Canary: "nwdiag { network n { a; } }\n// NONCE"},
	{Name: "packetdiag", Extension: "diag", Options: blockdiagOptions, Formats: blockdiagFormats,
		Example: "packetdiag {\n  colwidth = 32\n  node_height = 72\n  0-15: Source Port\n  16-31: Destination Port\n  32-63: Sequence Number\n  64-95: Acknowledgment Number\n}\n",
		Canary:  "packetdiag { 0-15: probe; }\n// NONCE"},
	{Name: "pikchr", Extension: "pikchr", Formats: svgOnly,
		Example: "box \"client\"; arrow; box \"API\"; arrow; box \"Kroki\"\n",
		Canary:  "box \"probe\"\n# NONCE"},
	{Name: "plantuml", Extension: "puml", Formats: plantumlFormats, PlantUMLEncoding: true,
		Example: "@startuml\nactor User\nUser -> API: GET /plantuml/svg/…\nAPI -> Cache: lookup\nalt miss\n  API -> Kroki: render\nend\nAPI --> User: image\n@enduml\n",
		Canary:  "@startuml\nprobe -> ok\n' NONCE\n@enduml"},
	{Name: "rackdiag", Extension: "diag", Options: blockdiagOptions, Formats: blockdiagFormats,
		Example: "rackdiag {\n  12U;\n  1: UPS [2U];\n  3: Database;\n  4: Render API;\n  5: Kroki;\n  7: Load balancer;\n}\n",
		Canary:  "rackdiag { 1: probe; }\n// NONCE"},
	{Name: "seqdiag", Extension: "diag", Options: blockdiagOptions, Formats: blockdiagFormats,
		Example: "seqdiag {\n  client -> api [label = \"GET\"];\n  api -> kroki [label = \"render\"];\n  api <- kroki;\n  client <- api [label = \"image\"];\n}\n",
		Canary:  "seqdiag { a -> b; }\n// NONCE"},
	{Name: "structurizr", Extension: "dsl", Formats: []Format{PNG, SVG, PDF, Base64, TXT, UTXT},
		Example: `workspace {
  model {
    user = person "User"
    system = softwareSystem "UML Images" {
      api = container "Render API" "Go, Lambda"
      kroki = container "Kroki" "Fargate"
    }
    user -> api "renders diagrams with"
    api -> kroki "renders misses with"
  }
  views {
    container system {
      include *
      autolayout lr
    }
  }
}
`,
		Canary: "workspace {\n  model {\n    u = person \"probe\"\n  }\n  views {\n    systemLandscape {\n      include *\n    }\n  }\n}\n// NONCE"},
	{Name: "svgbob", Extension: "bob", Options: svgbobOptions, Formats: svgOnly, KeepWhitespace: true,
		Example: "  .--------.      .-----.\n  | client |----->| API |\n  '--------'      '-----'\n",
		Canary:  "+--+\n|  |\n+--+\nNONCE"},
	{Name: "symbolator", Extension: "vhdl", Formats: svgPNG, KeepWhitespace: true,
		Example: `library ieee;
use ieee.std_logic_1164.all;

entity counter is
  port (
    clk   : in  std_logic;
    reset : in  std_logic;
    count : out std_logic_vector(7 downto 0)
  );
end entity counter;
`,
		Canary: "module probe(input a, output b); endmodule\n// NONCE"},
	{Name: "tikz", Extension: "tex", Formats: []Format{JPEG, PDF, PNG, SVG},
		Example: `\documentclass{standalone}
\usepackage{tikz}
\begin{document}
\begin{tikzpicture}
  \node[draw, rounded corners] (client) at (0,0) {Client};
  \node[draw, rounded corners] (api) at (3,0) {API};
  \draw[->] (client) -- (api);
\end{tikzpicture}
\end{document}
`,
		Canary: "\\documentclass{standalone}\n\\usepackage{tikz}\n\\begin{document}\n\\begin{tikzpicture}\\draw (0,0) rectangle (1,1);\\end{tikzpicture}\n\\end{document}\n% NONCE"},
	{Name: "umlet", Extension: "uxf", Formats: []Format{SVG, PNG, JPEG}, Syntax: "xml",
		Example: `<diagram program="umlet" version="14.3.0">
  <zoom_level>10</zoom_level>
  <element>
    <id>UMLClass</id>
    <coordinates><x>0</x><y>0</y><w>160</w><h>70</h></coordinates>
    <panel_attributes>Render
--
key: string
format: string</panel_attributes>
    <additional_attributes></additional_attributes>
  </element>
</diagram>
`,
		Canary: `<diagram program="umlet" version="14.3.0"><!-- NONCE --><element><id>UMLClass</id><coordinates><x>0</x><y>0</y><w>80</w><h>30</h></coordinates><panel_attributes>probe</panel_attributes><additional_attributes></additional_attributes></element></diagram>`},
	{Name: "vega", Extension: "vg.json", Formats: []Format{SVG, PNG, PDF}, Syntax: "json",
		Example: `{
  "$schema": "https://vega.github.io/schema/vega/v5.json",
  "width": 200, "height": 100, "padding": 5,
  "data": [{"name": "t", "values": [{"k": "A", "v": 28}, {"k": "B", "v": 55}, {"k": "C", "v": 43}]}],
  "scales": [
    {"name": "x", "type": "band", "domain": {"data": "t", "field": "k"}, "range": "width", "padding": 0.1},
    {"name": "y", "domain": {"data": "t", "field": "v"}, "nice": true, "range": "height"}
  ],
  "axes": [{"orient": "bottom", "scale": "x"}, {"orient": "left", "scale": "y"}],
  "marks": [{"type": "rect", "from": {"data": "t"}, "encode": {"enter": {
    "x": {"scale": "x", "field": "k"}, "width": {"scale": "x", "band": 1},
    "y": {"scale": "y", "field": "v"}, "y2": {"scale": "y", "value": 0}}}}]
}
`,
		Canary: `{"$schema":"https://vega.github.io/schema/vega/v5.json","description":"NONCE","width":10,"height":10,"marks":[]}`},
	{Name: "vegalite", Extension: "vl.json", Formats: []Format{SVG, PNG, PDF}, Syntax: "json",
		Example: `{
  "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
  "data": {"values": [{"a": "A", "b": 28}, {"a": "B", "b": 55}]},
  "mark": "bar",
  "encoding": {"x": {"field": "a"}, "y": {"field": "b", "type": "quantitative"}}
}
`,
		Canary: `{"$schema":"https://vega.github.io/schema/vega-lite/v5.json","description":"NONCE","data":{"values":[{"a":1}]},"mark":"point"}`},
	{Name: "wavedrom", Extension: "json", Formats: svgOnly, Syntax: "json",
		Example: `{ "signal": [ { "name": "clk", "wave": "p..." }, { "name": "req", "wave": "01.0" } ] }` + "\n",
		Canary:  `{ "signal": [{ "name": "probe", "wave": "01" }], "config": { "hscale": 1 }, "head": { "text": "NONCE" } }`},
	{Name: "wireviz", Extension: "yaml", Formats: []Format{PNG, SVG}, Syntax: "yaml",
		Example: `connectors:
  X1:
    type: D-Sub
    subtype: female
    pinlabels: [DCD, RX, TX, DTR, GND]
  X2:
    type: Molex KK 254
    subtype: female
    pinlabels: [GND, RX, TX]
cables:
  W1:
    gauge: 0.25 mm2
    length: 0.2
    wirecount: 3
    shield: true
connections:
  -
    - X1: [5, 2, 3]
    - W1: [1, 2, 3]
    - X2: [1, 3, 2]
`,
		Canary: "connectors:\n  X1:\n    pincount: 2\n# NONCE"},
}
