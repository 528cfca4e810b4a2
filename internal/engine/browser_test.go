package engine_test

import (
	"context"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/engine"
	"github.com/umlimages/umlimages/internal/testsupport/stacktest"
)

// TestSharedBrowser: the browser engines share one Chromium, started on
// first use; concurrent renders each get a page; when the browser dies the
// next render starts another.
func TestSharedBrowser(t *testing.T) {
	local := engine.NewLocal(engine.Config{Timeout: time.Minute, Self: self(t), Scripts: stacktest.Scripts(t)})
	t.Cleanup(func() { local.Close() })
	b := local.Browser
	if b == nil {
		t.Fatalf("no browser: %v", local.Missing)
	}
	if b.Starts() != 0 {
		t.Fatalf("the browser started before any render (%d starts)", b.Starts())
	}
	ctx := context.Background()
	render := func(typ, src string) error {
		_, err := local.Engines[typ].Render(ctx, diagram.SVG, []byte(src), nil)
		return err
	}
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for i := range 6 {
		typ, src := "mermaid", "graph TD\n  a --> b"
		if i%2 == 1 {
			typ, src = "bpmn", docSamples["bpmn"].source
		}
		wg.Go(func() { errs <- render(typ, src) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if b.Starts() != 1 {
		t.Fatalf("6 renders of 2 types started the browser %d times, want once", b.Starts())
	}

	pid := b.Pid()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for syscall.Kill(pid, 0) == nil && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if err := render("mermaid", "graph TD\n  after --> death"); err != nil {
		t.Fatalf("the render after the browser died: %v", err)
	}
	if b.Starts() != 2 {
		t.Errorf("after its death the browser was started %d times in all, want 2", b.Starts())
	}
}
