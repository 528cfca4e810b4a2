package render_test

import (
	"encoding/json"
	"io"
	"net/http"
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
