// Package diagram is the domain of the render service: diagram types and
// output formats (Kroki's table), the GET payload codecs, source
// normalisation, render options and the content-addressed cache key. It
// depends on the standard library only, so kroki, cache and render share it
// without importing each other.
package diagram

import (
	"slices"
	"sort"
)

// Format is an output format route segment: "svg", "png", ...
type Format string

// Kroki's output formats.
const (
	SVG    Format = "svg"
	PNG    Format = "png"
	JPEG   Format = "jpeg"
	PDF    Format = "pdf"
	Base64 Format = "base64"
	TXT    Format = "txt"
	UTXT   Format = "utxt"
)

var formatInfo = map[Format]struct{ contentType, ext string }{
	SVG:    {"image/svg+xml", "svg"},
	PNG:    {"image/png", "png"},
	JPEG:   {"image/jpeg", "jpeg"},
	PDF:    {"application/pdf", "pdf"},
	Base64: {"text/plain; charset=x-user-defined", "b64"}, // Kroki's choice: a data: URI of the PNG
	TXT:    {"text/plain; charset=utf-8", "txt"},
	UTXT:   {"text/plain; charset=utf-8", "utxt"},
}

// ContentType is the media type of a render in this format.
func (f Format) ContentType() string { return formatInfo[f].contentType }

// Ext is the file extension of a render in this format.
func (f Format) Ext() string { return formatInfo[f].ext }

// Binary reports whether renders in this format are not text.
func (f Format) Binary() bool { return f == PNG || f == JPEG || f == PDF }

// Type describes one diagram type as Kroki serves it.
type Type struct {
	Name    string   // canonical route name
	Aliases []string // other route names for the same engine
	Formats []Format // in Kroki's order
	// KeepWhitespace marks languages where leading and trailing whitespace
	// is meaningful, so the source is not trimmed.
	KeepWhitespace bool
}

// Supports reports whether the type renders to f.
func (t Type) Supports(f Format) bool { return slices.Contains(t.Formats, f) }

var (
	blockdiagFormats = []Format{PNG, SVG, PDF}
	plantumlFormats  = []Format{PNG, SVG, JPEG, PDF, Base64, TXT, UTXT}
	svgPNG           = []Format{SVG, PNG}
	svgOnly          = []Format{SVG}
)

// table is Kroki's route table: 31 route names (30 types and the "dot"
// alias) with the formats each service declares.
var table = []Type{
	{Name: "actdiag", Formats: blockdiagFormats},
	{Name: "blockdiag", Formats: blockdiagFormats},
	{Name: "bpmn", Formats: svgOnly},
	{Name: "bytefield", Formats: svgOnly},
	{Name: "c4plantuml", Formats: plantumlFormats},
	{Name: "d2", Formats: svgOnly},
	{Name: "dbml", Formats: svgOnly},
	{Name: "diagramsnet", Formats: []Format{PNG, SVG}},
	{Name: "ditaa", Formats: svgPNG, KeepWhitespace: true},
	{Name: "erd", Formats: []Format{PNG, SVG, JPEG, PDF}},
	{Name: "excalidraw", Formats: svgOnly},
	{Name: "goat", Formats: svgOnly, KeepWhitespace: true},
	{Name: "graphviz", Aliases: []string{"dot"}, Formats: []Format{PNG, SVG, JPEG, PDF}},
	{Name: "mermaid", Formats: []Format{PNG, SVG}},
	{Name: "nomnoml", Formats: svgOnly},
	{Name: "nwdiag", Formats: blockdiagFormats},
	{Name: "packetdiag", Formats: blockdiagFormats},
	{Name: "pikchr", Formats: svgOnly},
	{Name: "plantuml", Formats: plantumlFormats},
	{Name: "rackdiag", Formats: blockdiagFormats},
	{Name: "seqdiag", Formats: blockdiagFormats},
	{Name: "structurizr", Formats: []Format{PNG, SVG, PDF, Base64, TXT, UTXT}},
	{Name: "svgbob", Formats: svgOnly, KeepWhitespace: true},
	{Name: "symbolator", Formats: svgPNG, KeepWhitespace: true},
	{Name: "tikz", Formats: []Format{JPEG, PDF, PNG, SVG}},
	{Name: "umlet", Formats: []Format{SVG, PNG, JPEG}},
	{Name: "vega", Formats: []Format{SVG, PNG, PDF}},
	{Name: "vegalite", Formats: []Format{SVG, PNG, PDF}},
	{Name: "wavedrom", Formats: svgOnly},
	{Name: "wireviz", Formats: []Format{PNG, SVG}},
}

var byRoute = func() map[string]Type {
	m := make(map[string]Type)
	for _, t := range table {
		m[t.Name] = t
		for _, a := range t.Aliases {
			m[a] = t
		}
	}
	return m
}()

// Lookup finds a type by route name (canonical or alias).
func Lookup(route string) (Type, bool) {
	t, ok := byRoute[route]
	return t, ok
}

// Types returns every type, sorted by name.
func Types() []Type { return slices.Clone(table) }

// RouteNames returns every accepted route name, sorted.
func RouteNames() []string {
	names := make([]string, 0, len(byRoute))
	for n := range byRoute {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
