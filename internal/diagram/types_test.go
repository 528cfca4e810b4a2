package diagram_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/umlimages/umlimages/internal/diagram"
)

// TestEveryTypeHasEachFact: each type's entry says everything a client,
// the editor and the probe need, and what it says holds.
func TestEveryTypeHasEachFact(t *testing.T) {
	for _, typ := range diagram.Types() {
		t.Run(typ.Name, func(t *testing.T) {
			if !typ.Supports(typ.Preferred) {
				t.Errorf("preferred format %q is not one of %v", typ.Preferred, typ.Formats)
			}
			if typ.Supports(diagram.SVG) && typ.Preferred != diagram.SVG && typ.Name != "ditaa" {
				t.Errorf("preferred format %q, although the type has SVG", typ.Preferred)
			}
			if n := strings.Count(typ.Canary, diagram.Nonce); n != 1 {
				t.Errorf("canary holds the nonce %d times, want once", n)
			}
			if len(typ.Normalize([]byte(typ.Example))) == 0 {
				t.Error("no example")
			}
			if typ.Extension == "" || strings.ContainsAny(typ.Extension, "/ ") {
				t.Errorf("extension %q", typ.Extension)
			}
			seen := map[string]bool{}
			for _, o := range typ.Options {
				if _, err := diagram.MergeOptions(nil, nil, map[string]any{o.Name: o.Example}); err != nil || seen[o.Name] || o.Description == "" {
					t.Errorf("option %+v: %v", o, err)
				}
				seen[o.Name] = true
			}
			if typ.Example == typ.Canary {
				t.Error("the example is the canary")
			}
			if plantuml := typ.Name == "plantuml" || typ.Name == "c4plantuml"; typ.PlantUMLEncoding != plantuml {
				t.Errorf("PlantUMLEncoding %v: PlantUML's encodings are PlantUML's and C4-PlantUML's", typ.PlantUMLEncoding)
			}
			for name, src := range map[string][]byte{"example": []byte(typ.Example), "canary": typ.CanarySource("probe 1")} {
				if err := wellFormed(typ.Syntax, src); err != nil {
					t.Errorf("%s is not %s: %v", name, typ.Syntax, err)
				}
			}
		})
	}
}

// wellFormed checks src against the notation a type declares. YAML has no
// reader in the standard library; its one type's engine checks it.
func wellFormed(syntax string, src []byte) error {
	switch syntax {
	case "json":
		var v any
		return json.Unmarshal(src, &v)
	case "xml":
		d := xml.NewDecoder(bytes.NewReader(src))
		for {
			if _, err := d.Token(); errors.Is(err, io.EOF) {
				return nil
			} else if err != nil {
				return err
			}
		}
	case "", "yaml":
		return nil
	}
	return errors.New("unknown syntax " + syntax)
}
