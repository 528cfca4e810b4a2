package render_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/testsupport/stacktest"
)

// TestEveryExampleRenders: each type the local engines enable is listed by
// /v1/types with its example and preferred format, and that example renders
// in that format on the real engines: what the editor shows a newcomer.
func TestEveryExampleRenders(t *testing.T) {
	s := stacktest.Start(t, stacktest.Options{})
	res, err := http.Get(s.API.URL + "/v1/types")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Types []struct {
			Name      string `json:"name"`
			Preferred string `json:"preferred_format"`
			Enabled   bool   `json:"enabled"`
			Example   string `json:"example"`
		} `json:"types"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	enabled := 0
	for _, ty := range out.Types {
		if !ty.Enabled {
			continue
		}
		enabled++
		t.Run(ty.Name, func(t *testing.T) {
			typ, _ := diagram.Lookup(ty.Name)
			if ty.Example != typ.Example || ty.Preferred != string(typ.Preferred) {
				t.Fatalf("/v1/types says %q in %s, the table %q in %s", ty.Example, ty.Preferred, typ.Example, typ.Preferred)
			}
			r, err := http.Get(s.API.URL + "/" + ty.Name + "/" + ty.Preferred + "/" + diagram.Encode([]byte(ty.Example)))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != typ.Preferred.ContentType() {
				t.Errorf("example: %d %s: %.300s", r.StatusCode, r.Header.Get("Content-Type"), body)
			}
		})
	}
	if want := len(stacktest.LocalTypes()); enabled != want {
		t.Errorf("%d types enabled, want the %d the local engines draw", enabled, want)
	}
}

// typesOf reads /v1/types from api.
func typesOf(t *testing.T, api string) map[string]typeEntry {
	t.Helper()
	res, err := http.Get(api + "/v1/types")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Types []typeEntry `json:"types"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	byName := map[string]typeEntry{}
	for _, ty := range out.Types {
		byName[ty.Name] = ty
	}
	return byName
}

type typeEntry struct {
	Name      string   `json:"name"`
	Formats   []string `json:"formats"`
	Preferred string   `json:"preferred_format"`
	Enabled   bool     `json:"enabled"`
	Options   []struct {
		Name string `json:"name"`
	} `json:"options"`
}

func (e typeEntry) optionNames() []string {
	var names []string
	for _, o := range e.Options {
		names = append(names, o.Name)
	}
	return names
}

// TestTypesAreWhatTheRendererDraws: against the local renderer, /v1/types
// offers what its engines draw (formats, options) and no type it lacks,
// even when ENABLED_TYPES names it; against a full Kroki (no capabilities
// path), Kroki's whole table.
func TestTypesAreWhatTheRendererDraws(t *testing.T) {
	s := stacktest.Start(t, stacktest.Options{})
	local := typesOf(t, s.API.URL)
	cases := []struct {
		name, formats, preferred, options string
		enabled                           bool
	}{
		{"vega", "svg png", "svg", "", true},         // Kroki: svg png pdf
		{"mermaid", "png svg", "svg", "theme", true}, // Kroki: png svg
		{"ditaa", "svg png", "png", "no-separation no-shadows scale", true},
		{"blockdiag", "png svg pdf", "svg", "antialias no-transparency size no-doctype", true},
		{"graphviz", "png svg jpeg pdf", "svg", "", true},
		{"structurizr", "png svg pdf base64 txt utxt", "svg", "", false}, // no local engine
	}
	for _, c := range cases {
		got := local[c.name]
		if strings.Join(got.Formats, " ") != c.formats || got.Preferred != c.preferred ||
			strings.Join(got.optionNames(), " ") != c.options || got.Enabled != c.enabled {
			t.Errorf("%s locally: formats %v, preferred %s, options %v, enabled %t; want %s, %s, [%s], %t",
				c.name, got.Formats, got.Preferred, got.optionNames(), got.Enabled, c.formats, c.preferred, c.options, c.enabled)
		}
	}

	full := newStack(t) // its Kroki answers /capabilities with 404, as Kroki does
	kroki := typesOf(t, full.URL)
	for _, typ := range diagram.Types() {
		got := kroki[typ.Name]
		var want []string
		for _, f := range typ.Formats {
			want = append(want, string(f))
		}
		if !got.Enabled || strings.Join(got.Formats, " ") != strings.Join(want, " ") || len(got.Options) != len(typ.Options) {
			t.Errorf("%s against Kroki: enabled %t, formats %v, %d options; want the table's %v and %d", typ.Name, got.Enabled, got.Formats, len(got.Options), want, len(typ.Options))
		}
	}
}
