package diagram

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strings"
)

// KeySchema versions the cache key: bump it when what goes into the key, or
// how, changes, so old renders are never served for new semantics.
const KeySchema = "1"

// Request is one render: what to draw, in which format, with which options.
type Request struct {
	Type    Type
	Format  Format
	Source  []byte // normalised
	Options Options
}

// NewRequest checks the source against max bytes, then normalises it.
func NewRequest(t Type, f Format, source []byte, opts Options, max int) (Request, error) {
	if len(source) > max {
		return Request{}, Errorf(ErrTooLarge, "The diagram source is %d bytes; the limit is %d bytes.", len(source), max)
	}
	source = t.Normalize(source)
	if len(source) == 0 {
		return Request{}, Errorf(ErrEmptySource, "Request body must not be empty.")
	}
	return Request{Type: t, Format: f, Source: source, Options: opts}, nil
}

// Resolve checks a route name and a format against Kroki's table.
func Resolve(route, format string) (Type, Format, error) {
	t, err := LookupRoute(route)
	if err != nil {
		return Type{}, "", err
	}
	f, err := ParseFormat(t, format)
	return t, f, err
}

// LookupRoute is Lookup with Kroki's error for an unknown route name.
func LookupRoute(route string) (Type, error) {
	t, ok := Lookup(strings.ToLower(route))
	if !ok {
		return Type{}, Errorf(ErrUnknownType, "Unsupported diagram type: %s. Must be one of %s", route, strings.Join(RouteNames(), ", "))
	}
	return t, nil
}

// ParseFormat checks that t renders format, with Kroki's error if not.
func ParseFormat(t Type, format string) (Format, error) {
	f := Format(strings.ToLower(format))
	if !t.Supports(f) {
		return "", Errorf(ErrUnsupportedFormat, "Unsupported output format: %s for %s. Must be one of %s.", format, t.Name, OneOf(t.Formats))
	}
	return f, nil
}

// Normalize trims surrounding whitespace, except for the languages where it
// is part of the drawing.
func (t Type) Normalize(source []byte) []byte {
	if t.KeepWhitespace {
		return source
	}
	return bytes.TrimSpace(source)
}

// Key is the content address of the render: a hex SHA-256 over the key
// schema, the renderer's version, the canonical type, the format, the
// canonical options and the normalised source. Fields are length-prefixed
// so no two different requests share an encoding.
func (r Request) Key(rendererVersion string) string {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	for _, field := range [][]byte{
		[]byte(KeySchema),
		[]byte(rendererVersion),
		[]byte(r.Type.Name),
		[]byte(r.Format),
		[]byte(r.Options.Canonical()),
		r.Source,
	} {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(field)))])
		h.Write(field)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// OneOf lists formats as Kroki does: "png, svg or pdf".
func OneOf(formats []Format) string {
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = string(f)
	}
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// RendersPrefix is the folder of renders in the data bucket.
const RendersPrefix = "renders/"

// RenderObject is where the render with this key lives in the data bucket.
func RenderObject(key string, f Format) string { return RendersPrefix + key + "." + f.Ext() }

// SavedObject is where the saved diagram with this id lives in the data bucket.
func SavedObject(id string) string { return "diagrams/" + id + ".json" }
