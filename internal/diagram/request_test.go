package diagram_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/umlimages/umlimages/internal/diagram"
)

func TestKrokiRouteTable(t *testing.T) {
	names := diagram.RouteNames()
	if len(names) != 31 {
		t.Fatalf("got %d route names, want Kroki's 31: %v", len(names), names)
	}
	want := map[string][]diagram.Format{
		"plantuml":  {diagram.PNG, diagram.SVG, diagram.JPEG, diagram.PDF, diagram.Base64, diagram.TXT, diagram.UTXT},
		"dot":       {diagram.PNG, diagram.SVG, diagram.JPEG, diagram.PDF},
		"blockdiag": {diagram.PNG, diagram.SVG, diagram.PDF},
		"mermaid":   {diagram.PNG, diagram.SVG},
		"d2":        {diagram.SVG},
		"ditaa":     {diagram.SVG, diagram.PNG},
	}
	for route, formats := range want {
		ty, ok := diagram.Lookup(route)
		if !ok {
			t.Errorf("Lookup(%q): not found", route)
			continue
		}
		if strings.Join(fmtNames(ty.Formats), ",") != strings.Join(fmtNames(formats), ",") {
			t.Errorf("%s formats: got %v, want %v", route, ty.Formats, formats)
		}
	}
	if g, _ := diagram.Lookup("dot"); g.Name != "graphviz" {
		t.Errorf("dot resolves to %q, want graphviz", g.Name)
	}
	for _, ty := range diagram.Types() {
		for _, f := range ty.Formats {
			if f.ContentType() == "" || f.Ext() == "" {
				t.Errorf("%s: format %q has no content type or extension", ty.Name, f)
			}
		}
	}
}

func fmtNames(fs []diagram.Format) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = string(f)
	}
	return out
}

func TestResolveWording(t *testing.T) {
	_, _, err := diagram.Resolve("nope", "svg")
	if !errors.Is(err, diagram.ErrUnknownType) || !strings.HasPrefix(err.Error(), "Unsupported diagram type: nope. Must be one of actdiag, blockdiag,") {
		t.Errorf("unknown type: got %v", err)
	}
	_, _, err = diagram.Resolve("blockdiag", "jpeg")
	if want := "Unsupported output format: jpeg for blockdiag. Must be one of png, svg or pdf."; !errors.Is(err, diagram.ErrUnsupportedFormat) || err.Error() != want {
		t.Errorf("unsupported format: got %v, want %q", err, want)
	}
	if ty, f, err := diagram.Resolve("GraphViz", "SVG"); err != nil || ty.Name != "graphviz" || f != diagram.SVG {
		t.Errorf("Resolve(GraphViz, SVG) = %v %v %v", ty.Name, f, err)
	}
}

func TestNormalize(t *testing.T) {
	cases := []struct {
		route, in, want string
	}{
		{"graphviz", "\n  digraph{a}\n\n", "digraph{a}"},
		{"plantuml", "\t@startuml\n@enduml \n", "@startuml\n@enduml"},
		{"ditaa", "  +--+\n  |  |\n", "  +--+\n  |  |\n"},
		{"goat", " .-. \n", " .-. \n"},
		{"svgbob", "  --> \n", "  --> \n"},
		{"symbolator", " x \n", " x \n"},
	}
	for _, c := range cases {
		ty, _ := diagram.Lookup(c.route)
		if got := string(ty.Normalize([]byte(c.in))); got != c.want {
			t.Errorf("%s Normalize(%q) = %q, want %q", c.route, c.in, got, c.want)
		}
	}
}

func TestNewRequestSourceLimit(t *testing.T) {
	ty, _ := diagram.Lookup("graphviz")
	const max = 100
	for _, n := range []int{max - 1, max, max + 1} {
		_, err := diagram.NewRequest(ty, diagram.SVG, []byte(strings.Repeat("a", n)), nil, max)
		if tooBig := errors.Is(err, diagram.ErrTooLarge); tooBig != (n > max) {
			t.Errorf("%d bytes with limit %d: got %v", n, max, err)
		}
	}
	if _, err := diagram.NewRequest(ty, diagram.SVG, []byte(" \n\t"), nil, max); !errors.Is(err, diagram.ErrEmptySource) {
		t.Errorf("blank source: got %v, want ErrEmptySource", err)
	}
}

func TestMergeOptionsPrecedence(t *testing.T) {
	q := url.Values{"theme": {"query"}, "scale": {"2"}, "Only-Query": {"q"}}
	h := http.Header{}
	h.Set("Kroki-Diagram-Options-Theme", "header")
	h.Set("Kroki-Diagram-Options-Layout", "header")
	h.Set("Content-Type", "text/plain")
	body := map[string]any{"THEME": "json", "no-transparency": true, "width": 1.5}
	got, err := diagram.MergeOptions(q, h, body)
	if err != nil {
		t.Fatal(err)
	}
	want := diagram.Options{"theme": "json", "scale": "2", "only-query": "q", "layout": "header", "no-transparency": "true", "width": "1.5"}
	if got.Canonical() != want.Canonical() {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestMergeOptionsRejects(t *testing.T) {
	cases := map[string]map[string]any{
		"object value":      {"theme": map[string]any{"a": 1}},
		"control character": {"theme": "a\nb"},
		"bad name":          {"the me": "x"},
		"long value":        {"theme": strings.Repeat("x", diagram.MaxOptionValueLen+1)},
		"long name":         {strings.Repeat("k", diagram.MaxOptionKeyLen+1): "x"},
	}
	for name, body := range cases {
		if _, err := diagram.MergeOptions(nil, nil, body); !errors.Is(err, diagram.ErrBadOptions) {
			t.Errorf("%s: got %v, want ErrBadOptions", name, err)
		}
	}
	many := url.Values{}
	for i := range diagram.MaxOptions + 1 {
		many.Set("k"+strings.Repeat("x", i), "v")
	}
	if _, err := diagram.MergeOptions(many, nil, nil); !errors.Is(err, diagram.ErrBadOptions) {
		t.Errorf("%d options: got %v, want ErrBadOptions", len(many), err)
	}
}

func TestKey(t *testing.T) {
	g, _ := diagram.Lookup("graphviz")
	dot, _ := diagram.Lookup("dot")
	base := diagram.Request{Type: g, Format: diagram.SVG, Source: []byte("digraph{a}"), Options: diagram.Options{"a": "1", "b": "2"}}
	k := base.Key("0.32.1")
	if len(k) != 64 {
		t.Fatalf("key %q: want 64 hex characters", k)
	}
	same := base
	same.Type = dot
	same.Options = diagram.Options{"b": "2", "a": "1"}
	if same.Key("0.32.1") != k {
		t.Error("alias and option order changed the key")
	}
	variants := map[string]diagram.Request{
		"format":  {Type: g, Format: diagram.PNG, Source: base.Source, Options: base.Options},
		"source":  {Type: g, Format: diagram.SVG, Source: []byte("digraph{b}"), Options: base.Options},
		"options": {Type: g, Format: diagram.SVG, Source: base.Source, Options: diagram.Options{"a": "1"}},
	}
	for name, v := range variants {
		if v.Key("0.32.1") == k {
			t.Errorf("changing %s kept the key", name)
		}
	}
	if base.Key("0.33.0") == k {
		t.Error("changing the renderer version kept the key")
	}
	// Length prefixes: moving bytes between fields changes the key.
	a := diagram.Request{Type: g, Format: diagram.SVG, Source: []byte("x=1"), Options: diagram.Options{}}
	b := diagram.Request{Type: g, Format: diagram.SVG, Source: []byte("1"), Options: diagram.Options{"x": ""}}
	if a.Key("") == b.Key("") {
		t.Error("two different requests share a key")
	}
}

func FuzzMergeOptions(f *testing.F) {
	f.Add("theme=dark&scale=2", "Kroki-Diagram-Options-Theme", "light", []byte(`{"theme":"x","n":1,"b":true}`))
	f.Add("", "", "", []byte(`{}`))
	f.Add("a=%00", "Kroki-Diagram-Options-", "\x7f", []byte(`{"a":[1]}`))
	f.Fuzz(func(t *testing.T, query, headerName, headerValue string, body []byte) {
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		h := http.Header{headerName: {headerValue}}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			m = nil
		}
		opts, err := diagram.MergeOptions(q, h, m)
		if err != nil {
			if !errors.Is(err, diagram.ErrBadOptions) {
				t.Fatalf("error %v is not ErrBadOptions", err)
			}
			return
		}
		if len(opts) > diagram.MaxOptions {
			t.Fatalf("%d options passed the limit", len(opts))
		}
		for k, v := range opts {
			if k != strings.ToLower(k) || len(v) > diagram.MaxOptionValueLen || strings.ContainsAny(v, "\r\n\x00") {
				t.Fatalf("option %q=%q passed validation", k, v)
			}
		}
		_ = opts.Canonical()
	})
}
