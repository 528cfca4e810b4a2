package engine_test

import (
	"bytes"
	"image"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/engine"
	"github.com/umlimages/umlimages/internal/testsupport/stacktest"
)

// optionCase is one option's effect: the render with it differs from the
// render without it, as changed says.
type optionCase struct {
	value  string
	format diagram.Format
	// changed checks the render with the option against the one without;
	// nil: any difference will do.
	changed func(without, with []byte) string
}

// pngSize is the size of a PNG render.
func pngSize(b []byte) image.Point {
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return image.Point{}
	}
	return image.Pt(cfg.Width, cfg.Height)
}

var (
	blockdiagCases = map[string]optionCase{
		"antialias":       {format: diagram.PNG},
		"no-transparency": {format: diagram.PNG},
		// The family fits the diagram in the size, keeping its proportions.
		"size": {value: "320x240", format: diagram.PNG, changed: func(without, with []byte) string {
			if a, b := pngSize(without), pngSize(with); a == b || b.X > 320 || b.Y > 240 || (b.X != 320 && b.Y != 240) {
				return "the PNG is " + b.String() + " (" + a.String() + " without it), not fitted in 320x240"
			}
			return ""
		}},
		"no-doctype": {format: diagram.SVG, changed: func(without, with []byte) string {
			if !bytes.Contains(without, []byte("<!DOCTYPE")) || bytes.Contains(with, []byte("<!DOCTYPE")) {
				return "the doctype is not dropped"
			}
			return ""
		}},
	}
	// optionCases: every option a local engine publishes must have one.
	optionCases = map[string]map[string]optionCase{
		"blockdiag": blockdiagCases, "seqdiag": blockdiagCases, "actdiag": blockdiagCases,
		"nwdiag": blockdiagCases, "packetdiag": blockdiagCases, "rackdiag": blockdiagCases,
		"ditaa": {
			"no-shadows":    {format: diagram.PNG},
			"no-separation": {format: diagram.PNG},
			"scale": {value: "2", format: diagram.PNG, changed: func(without, with []byte) string {
				if a, b := pngSize(without), pngSize(with); b.X != 2*a.X || b.Y != 2*a.Y {
					return "scale 2 drew " + b.String() + " from " + a.String()
				}
				return ""
			}},
		},
		"mermaid": {"theme": {value: "dark", format: diagram.SVG}},
		"d2": {
			"theme":  {value: "200", format: diagram.SVG},
			"layout": {value: "elk", format: diagram.SVG},
			"sketch": {format: diagram.SVG},
		},
	}
	// optionSources are sources on which each option shows.
	optionSources = map[string]string{
		"ditaa": "+-----+-----+\n|  a  |  b  |\n+-----+-----+\n|  c  |  d  |\n+-----+-----+\n",
	}
)

// TestOptionsChangeTheRender: through the API, every option a local engine
// publishes changes what it draws; an option it does not take, or a value
// it does not know, is a 400 naming the option.
func TestOptionsChangeTheRender(t *testing.T) {
	stack := stacktest.Start(t, stacktest.Options{})
	caps := capabilitiesOf(t, stack.Renderer.URL)
	render := func(t *testing.T, typ string, f diagram.Format, src string, opts url.Values) (int, []byte) {
		t.Helper()
		u := stack.API.URL + "/" + typ + "/" + string(f) + "/" + diagram.Encode([]byte(src))
		if len(opts) > 0 {
			u += "?" + opts.Encode()
		}
		resp, body := get(t, u)
		return resp.StatusCode, body
	}
	for _, typ := range engine.Types() {
		t.Run(typ, func(t *testing.T) {
			src, ok := optionSources[typ]
			if !ok {
				src = docSamples[typ].source
			}
			for _, name := range caps[typ].Options {
				c, ok := optionCases[typ][name]
				if !ok {
					t.Errorf("option %s: no case shows what it does", name)
					continue
				}
				status, without := render(t, typ, c.format, src, nil)
				if status != http.StatusOK {
					t.Fatalf("without options: %d %.200s", status, without)
				}
				status, with := render(t, typ, c.format, src, url.Values{name: {c.value}})
				switch {
				case status != http.StatusOK:
					t.Errorf("%s=%q: %d %.200s", name, c.value, status, with)
				case c.changed != nil:
					if why := c.changed(without, with); why != "" {
						t.Errorf("%s=%q: %s", name, c.value, why)
					}
				case bytes.Equal(without, with):
					t.Errorf("%s=%q: the render is the same as without it", name, c.value)
				}
			}
			status, body := render(t, typ, diagram.SVG, src, url.Values{"bogus-option": {"1"}})
			if status != http.StatusBadRequest || !strings.Contains(string(body), "bogus-option") {
				t.Errorf("an unknown option: %d %.200s; want a 400 naming it", status, body)
			}
		})
	}
	for typ, value := range map[string]url.Values{
		"blockdiag": {"size": {"big"}}, "ditaa": {"scale": {"huge"}}, "mermaid": {"theme": {"purple"}}, "d2": {"layout": {"circle"}},
	} {
		status, body := render(t, typ, diagram.SVG, docSamples[typ].source, value)
		for name := range value {
			if status != http.StatusBadRequest || !strings.Contains(string(body), name) {
				t.Errorf("%s with %v: %d %.200s; want a 400 naming %s", typ, value, status, body, name)
			}
		}
	}
}
