package engine

import (
	"context"
	"fmt"
	"log/slog"
	"testing/fstest"
	"time"

	"oss.terrastruct.com/d2/d2graph"
	"oss.terrastruct.com/d2/d2layouts/d2dagrelayout"
	"oss.terrastruct.com/d2/d2lib"
	"oss.terrastruct.com/d2/d2renderers/d2svg"
	d2log "oss.terrastruct.com/d2/lib/log"
	"oss.terrastruct.com/d2/lib/textmeasure"

	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/kroki"
)

// quiet is the logger D2's internals get: its debug chatter is not ours.
var quiet = slog.New(slog.DiscardHandler)

// D2 renders D2 in process with the dagre layout. Imports resolve against
// an empty file system, so a diagram cannot read the machine's files.
type D2 struct {
	slots   chan struct{}
	timeout time.Duration
}

// NewD2 returns a D2 engine rendering at most concurrency diagrams at once.
func NewD2(concurrency int, timeout time.Duration) *D2 {
	return &D2{slots: make(chan struct{}, concurrency), timeout: timeout}
}

// Formats: D2 renders SVG (as Kroki serves it).
func (d *D2) Formats() []diagram.Format { return []diagram.Format{diagram.SVG} }

// Version names the library.
func (d *D2) Version() string { return "d2 v0.7.2 (in process)" }

// Render compiles, lays out and draws the diagram.
func (d *D2) Render(ctx context.Context, _ diagram.Format, src []byte, _ diagram.Options) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	select {
	case d.slots <- struct{}{}:
		defer func() { <-d.slots }()
	case <-ctx.Done():
		return nil, fmt.Errorf("d2: %w", diagram.ErrTimeout)
	}
	type result struct {
		svg []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		svg, err := d.render(d2log.With(ctx, quiet), string(src))
		done <- result{svg, err}
	}()
	select {
	case r := <-done:
		return r.svg, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("d2: %w after %s", diagram.ErrTimeout, d.timeout)
	}
}

func (d *D2) render(ctx context.Context, src string) (svg []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &diagram.SyntaxError{Status: 400, Message: fmt.Sprintf("d2 failed on this diagram: %v", p)}
		}
	}()
	ruler, err := textmeasure.NewRuler()
	if err != nil {
		return nil, fmt.Errorf("d2: ruler: %w", err)
	}
	pad := int64(d2svg.DEFAULT_PADDING)
	renderOpts := &d2svg.RenderOpts{Pad: &pad}
	layout := func(string) (d2graph.LayoutGraph, error) { return d2dagrelayout.DefaultLayout, nil }
	diag, _, err := d2lib.Compile(ctx, src, &d2lib.CompileOptions{Ruler: ruler, LayoutResolver: layout, FS: fstest.MapFS{}}, renderOpts)
	if err != nil {
		return nil, &diagram.SyntaxError{Status: 400, Message: err.Error(), Line: kroki.Line(err.Error())}
	}
	out, err := d2svg.Render(diag, renderOpts)
	if err != nil {
		return nil, &diagram.SyntaxError{Status: 400, Message: err.Error()}
	}
	return out, nil
}
