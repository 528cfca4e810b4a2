package render_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/umlimages/umlimages/internal/cache"
	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/render"
	"github.com/umlimages/umlimages/internal/testsupport/s3test"
)

// fastRenderer answers at once: no slow fake to hide a race.
type fastRenderer struct{ calls atomic.Int64 }

func (f *fastRenderer) Render(_ context.Context, req diagram.Request) ([]byte, error) {
	f.calls.Add(1)
	return append([]byte("<svg>"), req.Source...), nil
}

func (f *fastRenderer) Health(context.Context) error { return nil }

// TestExactlyOneRenderPerKey: 100 concurrent identical misses make one
// renderer call, in each of 50 trials, with and without the memory tier
// (the requests still waiting on their store read when the first flight
// ends must not start a second).
func TestExactlyOneRenderPerKey(t *testing.T) {
	srv := s3test.Start(t)
	graphviz, _ := diagram.Lookup("graphviz")
	for _, memory := range []int{0, 8 << 20} {
		store := cache.New(srv.Client(t), srv.Bucket(t, fmt.Sprintf("coalesce-%d", memory)))
		r := &fastRenderer{}
		svc := render.NewService(r, store, render.ServiceOptions{RendererVersion: "test", MemoryBytes: memory})
		worst := int64(0)
		for trial := range 50 {
			req, err := diagram.NewRequest(graphviz, diagram.SVG, []byte(fmt.Sprintf("digraph { trial%d }", trial)), nil, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			before := r.calls.Load()
			var wg sync.WaitGroup
			for range 100 {
				wg.Go(func() {
					if _, err := svc.Render(context.Background(), req); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			worst = max(worst, r.calls.Load()-before)
		}
		if worst != 1 {
			t.Errorf("memory tier %d bytes: up to %d renderer calls for 100 concurrent identical misses, want 1", memory, worst)
		}
	}
}
