package probe

import "github.com/umlimages/umlimages/internal/diagram"

// Canary is a tiny diagram that must render: Source holds one %s, where a
// per-run nonce goes (as a comment or label) so the render is never a
// cached one.
type Canary struct {
	Type   string
	Format diagram.Format
	Source string
}

// canaries are the probe's diagrams, by type: the smallest source that
// exercises each engine.
var canaries = map[string]Canary{
	"actdiag":     {"actdiag", diagram.SVG, "actdiag { a -> b }\n// %s"},
	"blockdiag":   {"blockdiag", diagram.SVG, "blockdiag { a -> b }\n// %s"},
	"bpmn":        {"bpmn", diagram.SVG, `<?xml version="1.0" encoding="UTF-8"?><!-- %s --><definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"><process id="p"><startEvent id="s"/></process></definitions>`},
	"bytefield":   {"bytefield", diagram.SVG, "(draw-column-headers)\n(draw-box \"probe\")\n; %s"},
	"c4plantuml":  {"c4plantuml", diagram.SVG, "@startuml\n!include <C4/C4_Context>\nPerson(u, \"User\")\n' %s\n@enduml"},
	"d2":          {"d2", diagram.SVG, "probe -> ok\n# %s"},
	"dbml":        {"dbml", diagram.SVG, "Table probe {\n  id int\n}\n// %s"},
	"ditaa":       {"ditaa", diagram.PNG, "+-------+\n| probe |\n+-------+\n%s"},
	"erd":         {"erd", diagram.SVG, "[probe]\nid\n# %s"},
	"graphviz":    {"graphviz", diagram.SVG, "digraph probe { a -> b }\n// %s"},
	"mermaid":     {"mermaid", diagram.SVG, "graph TD\n  a --> b\n%%%% %s"},
	"nomnoml":     {"nomnoml", diagram.SVG, "[probe]->[ok]\n// %s"},
	"nwdiag":      {"nwdiag", diagram.SVG, "nwdiag { network n { a; } }\n// %s"},
	"packetdiag":  {"packetdiag", diagram.SVG, "packetdiag { 0-15: probe; }\n// %s"},
	"pikchr":      {"pikchr", diagram.SVG, "box \"probe\"\n# %s"},
	"plantuml":    {"plantuml", diagram.SVG, "@startuml\nprobe -> ok\n' %s\n@enduml"},
	"rackdiag":    {"rackdiag", diagram.SVG, "rackdiag { 1: probe; }\n// %s"},
	"seqdiag":     {"seqdiag", diagram.SVG, "seqdiag { a -> b; }\n// %s"},
	"structurizr": {"structurizr", diagram.SVG, "workspace {\n  model {\n    u = person \"probe\"\n  }\n  views {\n    systemLandscape {\n      include *\n    }\n  }\n}\n// %s"},
	"svgbob":      {"svgbob", diagram.SVG, "+--+\n|  |\n+--+\n%s"},
	"symbolator":  {"symbolator", diagram.SVG, "module probe(input a, output b); endmodule\n// %s"},
	"umlet":       {"umlet", diagram.SVG, `<diagram program="umlet" version="14.3.0"><!-- %s --><element><id>UMLClass</id><coordinates><x>0</x><y>0</y><w>80</w><h>30</h></coordinates><panel_attributes>probe</panel_attributes><additional_attributes></additional_attributes></element></diagram>`},
	"vega":        {"vega", diagram.SVG, `{"$schema":"https://vega.github.io/schema/vega/v5.json","description":"%s","width":10,"height":10,"marks":[]}`},
	"vegalite":    {"vegalite", diagram.SVG, `{"$schema":"https://vega.github.io/schema/vega-lite/v5.json","description":"%s","data":{"values":[{"a":1}]},"mark":"point"}`},
	"wavedrom":    {"wavedrom", diagram.SVG, `{ "signal": [{ "name": "probe", "wave": "01" }], "config": { "hscale": 1 }, "head": { "text": "%s" } }`},
	"wireviz":     {"wireviz", diagram.SVG, "connectors:\n  X1:\n    pincount: 2\n# %s"},
}

// CanaryFor returns the canary of a type, if the probe has one.
func CanaryFor(typ string) (Canary, bool) {
	c, ok := canaries[typ]
	return c, ok
}
