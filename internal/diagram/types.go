// Package diagram is the domain of the render service: diagram types and
// output formats (Kroki's table), the GET payload codecs, source
// normalisation, render options and the content-addressed cache key. It
// depends on the standard library only, so kroki, cache and render share it
// without importing each other.
package diagram

import (
	"slices"
	"sort"
	"strings"
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

// Type is everything known about one diagram type: how Kroki routes and
// renders it, how its source is read, and the diagrams that show it (the
// editor's example, the health probe's canary). Every fact of a type lives
// in its entry of the table, and nowhere else.
type Type struct {
	Name    string   // canonical route name
	Aliases []string // other route names for the same engine
	Formats []Format // in Kroki's order
	// Preferred is the format a client gets when it names none (Accept:
	// */*, a saved diagram's link, the editor): SVG where the type has it.
	Preferred Format
	// PlantUMLEncoding marks the types whose GET payloads may also be in
	// the PlantUML server's encodings, as PlantUML clients send them.
	PlantUMLEncoding bool
	// KeepWhitespace marks languages where leading and trailing whitespace
	// is meaningful, so the source is not trimmed.
	KeepWhitespace bool
	// Syntax is the notation the source is written in, for an editor:
	// "json", "xml", "yaml", or "" for a language of its own.
	Syntax string
	// Example is a small diagram that shows the language, as the editor
	// offers it.
	Example string
	// Canary is the smallest diagram that exercises the engine: the
	// health probe renders it with Nonce replaced, so it is never cached.
	Canary string
	// Extension is the usual file extension of the language's sources.
	Extension string
	// Options are the diagram options Kroki documents for the type.
	Options []Option
}

// Option is a diagram option as Kroki documents it: a flag (Values is
// [""]), one of Values, or free text in the form Example shows.
type Option struct {
	Name        string   `json:"name"`
	Values      []string `json:"values,omitempty"`
	Example     string   `json:"example,omitempty"`
	Description string   `json:"description"`
}

// CapabilitiesPath is where the local renderer publishes what it draws,
// as {"types": []Capability}. Kroki has no such path: a Kroki server draws
// the whole table.
const CapabilitiesPath = "/capabilities"

// Capability is what one renderer draws of a type: the formats and the
// options it honours.
type Capability struct {
	Name    string   `json:"name"`
	Formats []Format `json:"formats"`
	Options []string `json:"options"`
}

// Flag is the one value of an option that is on by being present.
var Flag = []string{""}

// Nonce is where a canary takes the probe's per-run text (in a comment or
// a label).
const Nonce = "NONCE"

// CanarySource is the type's canary with nonce in it.
func (t Type) CanarySource(nonce string) []byte {
	return []byte(strings.Replace(t.Canary, Nonce, nonce, 1))
}

// Supports reports whether the type renders to f.
func (t Type) Supports(f Format) bool { return slices.Contains(t.Formats, f) }

var byRoute = func() map[string]Type {
	m := make(map[string]Type)
	for i, t := range table {
		if t.Preferred == "" {
			t.Preferred = t.Formats[0]
			if t.Supports(SVG) {
				t.Preferred = SVG
			}
			table[i] = t
		}
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
