package diagram

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
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

// NewRequest resolves a route name and format and normalises the source. It
// checks the source against max bytes before normalising.
func NewRequest(route, format string, source []byte, opts Options, max int) (Request, error) {
	t, f, err := Resolve(route, format)
	if err != nil {
		return Request{}, err
	}
	if len(source) > max {
		return Request{}, fmt.Errorf("%w: source is %d bytes, the limit is %d", ErrTooLarge, len(source), max)
	}
	source = t.Normalize(source)
	if len(source) == 0 {
		return Request{}, ErrEmptySource
	}
	return Request{Type: t, Format: f, Source: source, Options: opts}, nil
}

// Resolve checks a route name and a format against Kroki's table.
func Resolve(route, format string) (Type, Format, error) {
	t, ok := Lookup(route)
	if !ok {
		return Type{}, "", &UnknownTypeError{Route: route}
	}
	f := Format(format)
	if !t.Supports(f) {
		return Type{}, "", &UnsupportedFormatError{Type: t, Format: format}
	}
	return t, f, nil
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

// UnknownTypeError is ErrUnknownType with the route name that was asked for.
type UnknownTypeError struct{ Route string }

func (e *UnknownTypeError) Error() string { return "diagram: unknown type " + e.Route }
func (e *UnknownTypeError) Unwrap() error { return ErrUnknownType }

// UnsupportedFormatError is ErrUnsupportedFormat with the type and format.
type UnsupportedFormatError struct {
	Type   Type
	Format string
}

func (e *UnsupportedFormatError) Error() string {
	return fmt.Sprintf("diagram: %s does not render %s", e.Type.Name, e.Format)
}
func (e *UnsupportedFormatError) Unwrap() error { return ErrUnsupportedFormat }
