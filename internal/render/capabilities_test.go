package render

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/umlimages/umlimages/internal/diagram"
)

// answers is a renderer whose answer about its capabilities the test sets.
type answers struct {
	caps  []diagram.Capability
	ok    bool
	err   error
	asked int
}

func (a *answers) Capabilities(context.Context) ([]diagram.Capability, bool, error) {
	a.asked++
	return a.caps, a.ok, a.err
}

// TestDrawableAsksAgain: an unreachable renderer leaves the table in
// force and is asked again after capabilitiesRetry; an answer holds for
// capabilitiesTTL; a formatless request never waits for the question.
func TestDrawableAsksAgain(t *testing.T) {
	now := time.Unix(0, 0)
	src := &answers{err: errors.New("connection refused")}
	d := &drawable{src: src, now: func() time.Time { return now }}
	ctx := context.Background()
	if got := d.current(ctx); got != nil || src.asked != 1 {
		t.Fatalf("renderer down: %v after %d questions, want the table after 1", got, src.asked)
	}
	src.err, src.ok, src.caps = nil, true, []diagram.Capability{{Name: "graphviz", Formats: []diagram.Format{diagram.SVG}}}
	if d.current(ctx); src.asked != 1 {
		t.Fatalf("asked again %d times before the retry interval", src.asked-1)
	}
	now = now.Add(capabilitiesRetry)
	if got := d.current(ctx); len(got) != 1 || src.asked != 2 {
		t.Fatalf("after the retry interval: %v after %d questions", got, src.asked)
	}
	now = now.Add(capabilitiesTTL - time.Second)
	if d.current(ctx); src.asked != 2 {
		t.Fatal("an answer was asked again before it was capabilitiesTTL old")
	}
	o := offerOf(diagram.Types()[0], d.known())
	if o.available {
		t.Errorf("%s is offered though the renderer draws only graphviz", diagram.Types()[0].Name)
	}
}
