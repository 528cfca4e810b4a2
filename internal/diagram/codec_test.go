package diagram_test

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/umlimages/umlimages/internal/diagram"
)

const source = "digraph G {\n  Hello -> World\n}"

func zlibBytes(t testing.TB, src []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, _ := zlib.NewWriterLevel(&b, zlib.BestCompression)
	if _, err := w.Write(src); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDecodeKrokiEncodings(t *testing.T) {
	z := zlibBytes(t, []byte(source))
	cases := []struct{ name, encoded string }{
		{"kroki-go padded base64url", base64.URLEncoding.EncodeToString(z)},
		{"mermaid-live-editor unpadded base64url", base64.RawURLEncoding.EncodeToString(z)},
		{"standard alphabet", base64.StdEncoding.EncodeToString(z)},
		{"Encode", diagram.Encode([]byte(source))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, plantuml := range []bool{false, true} {
				got, err := diagram.Decode(c.encoded, plantuml, 1<<20)
				if err != nil {
					t.Fatalf("Decode(%q, %v): %v", c.encoded, plantuml, err)
				}
				if string(got) != source {
					t.Errorf("Decode(%q, %v) = %q, want %q", c.encoded, plantuml, got, source)
				}
			}
		})
	}
}

func TestDecodePlantUMLEncodings(t *testing.T) {
	const want = "Bob -> Alice : hello"
	var huff bytes.Buffer
	w, _ := flate.NewWriter(&huff, flate.HuffmanOnly)
	w.Write([]byte(want))
	w.Close()
	huffman := plantumlAlphabetEncode(huff.Bytes())
	cases := []struct{ name, encoded string }{
		{"the PlantUML server's own example", "SyfFKj2rKt3CoKnELR1Io4ZDoSa70000"},
		{"EncodePlantUML", diagram.EncodePlantUML([]byte(want))},
		{"~0 prefix", "~0SyfFKj2rKt3CoKnELR1Io4ZDoSa70000"},
		{"~1 Huffman-only deflate", "~1" + huffman},
		{"~h hex", "~h" + hex.EncodeToString([]byte(want))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := diagram.Decode(c.encoded, true, 1<<20)
			if err != nil {
				t.Fatalf("Decode(%q): %v", c.encoded, err)
			}
			if string(got) != want {
				t.Errorf("Decode(%q) = %q, want %q", c.encoded, got, want)
			}
		})
	}
	t.Run("not for other types", func(t *testing.T) {
		if _, err := diagram.Decode("SyfFKj2rKt3CoKnELR1Io4ZDoSa70000", false, 1<<20); !errors.Is(err, diagram.ErrBadEncoding) {
			t.Errorf("got %v, want ErrBadEncoding", err)
		}
	})
}

func plantumlAlphabetEncode(b []byte) string {
	enc := base64.NewEncoding("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_").WithPadding(base64.NoPadding)
	return enc.EncodeToString(b)
}

func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		name, encoded string
		want          error
		message       string
	}{
		{"empty", "", diagram.ErrBadEncoding, "Unable to decode the source. Source must not be null or empty."},
		{"not base64", "a$b", diagram.ErrBadEncoding, "Unable to decode the source. The source is not in valid Base64 scheme."},
		{"not zlib", base64.RawURLEncoding.EncodeToString([]byte("plain text")), diagram.ErrBadEncoding, "Unable to decode the source."},
		{"truncated zlib", base64.RawURLEncoding.EncodeToString(zlibBytes(t, []byte(source))[:10]), diagram.ErrBadEncoding, "Unable to decode the source."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := diagram.Decode(c.encoded, false, 1<<20)
			if !errors.Is(err, c.want) {
				t.Fatalf("Decode(%q): got %v, want %v", c.encoded, err, c.want)
			}
			if err.Error() != c.message {
				t.Errorf("Decode(%q) message: got %q, want %q", c.encoded, err.Error(), c.message)
			}
		})
	}
}

func TestDecodeSizeLimit(t *testing.T) {
	const max = 1000
	for _, n := range []int{max - 1, max, max + 1} {
		src := bytes.Repeat([]byte("a"), n)
		for name, enc := range map[string]string{
			"kroki":    diagram.Encode(src),
			"plantuml": diagram.EncodePlantUML(src),
			"hex":      "~h" + hex.EncodeToString(src),
		} {
			got, err := diagram.Decode(enc, true, max)
			if n <= max {
				if err != nil || len(got) != n {
					t.Errorf("%s, %d bytes: got %d bytes, %v; want %d bytes", name, n, len(got), err, n)
				}
				continue
			}
			if !errors.Is(err, diagram.ErrTooLarge) {
				t.Errorf("%s, %d bytes: got %v, want ErrTooLarge", name, n, err)
			}
		}
	}
}

// TestDeflateBomb: a URL of a few KB that inflates far past the limit is
// refused without allocating more than the limit.
func TestDeflateBomb(t *testing.T) {
	const max = 1 << 20
	bomb := diagram.Encode(bytes.Repeat([]byte("A"), 3<<20))
	if len(bomb) > 8<<10 {
		t.Fatalf("bomb URL payload is %d bytes; want a few KB", len(bomb))
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := diagram.Decode(bomb, false, max)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, diagram.ErrTooLarge) {
		t.Fatalf("got %v, want ErrTooLarge", err)
	}
	// No output buffer at all: only the inflater's window and tables.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 256<<10 {
		t.Errorf("decoding the bomb allocated %d bytes; want at most %d", alloc, 256<<10)
	}
}

// TestDecodeAllocatesOnce: a good payload costs one output buffer of its
// exact size, whatever the limit.
func TestDecodeAllocatesOnce(t *testing.T) {
	src := bytes.Repeat([]byte("Alice -> Bob: hi\n"), 30000)
	enc := diagram.Encode(src)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	got, err := diagram.Decode(enc, false, 1<<20)
	runtime.ReadMemStats(&after)
	if err != nil || len(got) != len(src) {
		t.Fatalf("got %d bytes, %v; want %d bytes", len(got), err, len(src))
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(len(src))+256<<10 {
		t.Errorf("decoding %d bytes allocated %d; want at most %d", len(src), alloc, len(src)+256<<10)
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	for _, src := range []string{"a", source, strings.Repeat("x -> y\n", 1000), "ünïcødé → ✓"} {
		got, err := diagram.Decode(diagram.Encode([]byte(src)), false, 1<<20)
		if err != nil || string(got) != src {
			t.Errorf("round trip of %q: got %q, %v", src, got, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(diagram.Encode([]byte(source)), false)
	f.Add("SyfFKj2rKt3CoKnELR1Io4ZDoSa70000", true)
	f.Add("~h426f62", true)
	f.Add("~1SyfFKj2rKt3CoKnELR1Io4ZDoSa70000", true)
	f.Add("eNpLTEouSUzKTMnMS1coLskvSgUAMncGWA==", false)
	f.Fuzz(func(t *testing.T, encoded string, plantuml bool) {
		const max = 64 << 10
		got, err := diagram.Decode(encoded, plantuml, max)
		if err != nil {
			var de *diagram.Error
			if !errors.As(err, &de) {
				t.Fatalf("Decode(%q) error %v is not a *diagram.Error", encoded, err)
			}
			return
		}
		if len(got) > max {
			t.Fatalf("Decode(%q) returned %d bytes, over the limit %d", encoded, len(got), max)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	enc := diagram.Encode([]byte(strings.Repeat("Alice -> Bob: hello\n", 50)))
	b.ReportAllocs()
	b.SetBytes(int64(len(enc)))
	for b.Loop() {
		if _, err := diagram.Decode(enc, false, 1<<20); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodePlantUML(b *testing.B) {
	enc := diagram.EncodePlantUML([]byte(strings.Repeat("Alice -> Bob: hello\n", 50)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := diagram.Decode(enc, true, 1<<20); err != nil {
			b.Fatal(err)
		}
	}
}
