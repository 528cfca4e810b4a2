package engine_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/engine"
)

// TestD2Options: the options Kroki documents for D2 change the drawing
// (theme, sketch, layout); an option D2 does not take, or a value it does
// not know, is a 400 naming it.
func TestD2Options(t *testing.T) {
	d2 := engine.NewD2(box(t), self(t), 2, time.Minute)
	src := []byte("client -> api: GET\napi -> kroki: render\napi -> cache\n")
	render := func(opts diagram.Options) []byte {
		t.Helper()
		out, err := d2.Render(context.Background(), diagram.SVG, src, opts)
		if err != nil {
			t.Fatalf("%v: %v", opts, err)
		}
		return out
	}
	plain := render(nil)
	for _, opts := range []diagram.Options{{"theme": "200"}, {"sketch": ""}, {"layout": "elk"}} {
		if out := render(opts); bytes.Equal(out, plain) || !bytes.Contains(out, []byte("<svg")) {
			t.Errorf("%v draws the same as no options", opts)
		}
	}
	if !bytes.Equal(render(diagram.Options{"theme": "0", "layout": "dagre"}), plain) {
		t.Error("the default theme and layout named draw differently from none")
	}
	for name, opts := range map[string]diagram.Options{
		"theme":  {"theme": "2"},
		"layout": {"layout": "tala"},
		"scale":  {"scale": "2"},
	} {
		_, err := d2.Render(context.Background(), diagram.SVG, src, opts)
		if !errors.Is(err, diagram.ErrBadOptions) || !strings.Contains(err.Error(), name) {
			t.Errorf("%v: got %v, want a bad-options error naming %s", opts, err, name)
		}
	}
}
