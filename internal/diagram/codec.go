package diagram

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"sync"
)

// plantumlAlphabet is PlantUML's base64 variant: digits first, then upper
// and lower case letters, then '-' and '_'.
const plantumlAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"

var (
	errBase64     = Errorf(ErrBadEncoding, "Unable to decode the source. The source is not in valid Base64 scheme.")
	errCompressed = Errorf(ErrBadEncoding, "Unable to decode the source.")
)

func tooLarge(max int) error {
	return Errorf(ErrTooLarge, "The decoded diagram source exceeds the limit of %d bytes.", max)
}

var plantumlEncoding = base64.NewEncoding(plantumlAlphabet).WithPadding(base64.NoPadding)

// Decode turns the payload of a GET request into diagram source. It accepts
// Kroki's encoding (zlib, RFC 1950, then base64url, padded or not; the
// standard alphabet's '+' and '/' are accepted too) and, when plantuml is
// true, the PlantUML server's encodings: raw deflate in PlantUML's alphabet,
// optionally prefixed by "~0" or "~1", and "~h" followed by hex text.
//
// The inflated source never exceeds max bytes: decoding stops as soon as it
// would, with ErrTooLarge, and never allocates more than max+1 bytes for
// the output.
func Decode(encoded string, plantuml bool, max int) ([]byte, error) {
	if encoded == "" {
		return nil, Errorf(ErrBadEncoding, "Unable to decode the source. Source must not be null or empty.")
	}
	src, kerr := decodeKroki(encoded, max)
	if kerr == nil || !plantuml || errors.Is(kerr, ErrTooLarge) {
		return src, kerr
	}
	src, perr := decodePlantUML(encoded, max)
	if perr != nil {
		if errors.Is(perr, ErrTooLarge) {
			return nil, perr
		}
		return nil, kerr
	}
	return src, nil
}

// Encode is the inverse of Decode for Kroki's encoding (zlib, then unpadded
// base64url), as kroki-cli and the web editor produce it.
func Encode(source []byte) string {
	var b bytes.Buffer
	w, _ := zlib.NewWriterLevel(&b, zlib.BestCompression)
	w.Write(source)
	w.Close()
	return base64.RawURLEncoding.EncodeToString(b.Bytes())
}

// EncodePlantUML encodes source the way the PlantUML server does: raw
// deflate in PlantUML's alphabet.
func EncodePlantUML(source []byte) string {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestCompression)
	w.Write(source)
	w.Close()
	return plantumlEncoding.EncodeToString(b.Bytes())
}

func decodeKroki(encoded string, max int) ([]byte, error) {
	s := strings.TrimRight(encoded, "=")
	if strings.ContainsAny(s, "+/") {
		s = strings.NewReplacer("+", "-", "/", "_").Replace(s)
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, errBase64
	}
	return inflate(raw, &zlibReaders, func(r io.Reader) (io.ReadCloser, error) { return zlib.NewReader(r) }, max)
}

func decodePlantUML(encoded string, max int) ([]byte, error) {
	switch {
	case strings.HasPrefix(encoded, "~h"):
		text, err := hex.DecodeString(encoded[2:])
		if err != nil {
			return nil, Errorf(ErrBadEncoding, "Unable to decode the source. The source is not in valid hexadecimal.")
		}
		if len(text) > max {
			return nil, tooLarge(max)
		}
		return text, nil
	case strings.HasPrefix(encoded, "~0"), strings.HasPrefix(encoded, "~1"):
		// ~0 is deflate, ~1 the legacy Huffman-only deflate: one inflater reads both.
		encoded = encoded[2:]
	}
	// The PlantUML encoder emits whole 4-character groups; tolerate a stray
	// trailing character rather than rejecting the payload.
	if len(encoded)%4 == 1 {
		encoded = encoded[:len(encoded)-1]
	}
	raw, err := plantumlEncoding.DecodeString(encoded)
	if err != nil {
		return nil, errBase64
	}
	return inflate(raw, &flateReaders, func(r io.Reader) (io.ReadCloser, error) { return flate.NewReader(r), nil }, max)
}

// Decompressors are pooled: each holds a 32 KB window and its tables.
var zlibReaders, flateReaders sync.Pool

// resetter is what zlib's and flate's readers share for reuse.
type resetter interface {
	io.ReadCloser
	Reset(r io.Reader, dict []byte) error
}

// inflate decompresses raw in two passes: the first counts the output and
// stops one byte past max, allocating nothing for it; the second fills a
// buffer of exactly the counted size. A deflate bomb costs at most max+1
// bytes of inflation and no output buffer; a good payload one allocation.
func inflate(raw []byte, pool *sync.Pool, open func(io.Reader) (io.ReadCloser, error), max int) ([]byte, error) {
	reader := func() (io.ReadCloser, error) {
		if r, ok := pool.Get().(resetter); ok {
			if err := r.Reset(bytes.NewReader(raw), nil); err != nil {
				return nil, err
			}
			return r, nil
		}
		return open(bytes.NewReader(raw))
	}
	release := func(r io.ReadCloser) {
		r.Close()
		pool.Put(r)
	}
	r, err := reader()
	if err != nil {
		return nil, errCompressed
	}
	n, err := io.Copy(io.Discard, io.LimitReader(r, int64(max)+1))
	release(r)
	if err != nil {
		return nil, errCompressed
	}
	if n > int64(max) {
		return nil, tooLarge(max)
	}
	if r, err = reader(); err != nil {
		return nil, errCompressed
	}
	defer release(r)
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, errCompressed
	}
	return buf, nil
}
