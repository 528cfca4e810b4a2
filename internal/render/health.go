package render

import (
	"context"
	"errors"
	"time"

	"github.com/umlimages/umlimages/internal/diagram"
)

// checkRenderer checks the renderer again, in the background.
func (s *Service) checkRenderer() {
	ctx, cancel := context.WithTimeout(context.Background(), CheckTimeout)
	defer cancel()
	s.rendererDown.Store(s.renderer.Health(ctx) != nil)
}

// Health checks the renderer and the store. The renderer failing is a
// failure (misses cannot be served); the store failing is a warning
// (renders go on without caching).
func (s *Service) Health(ctx context.Context) (Status, map[string]Check) {
	checks := map[string]Check{}
	type named struct {
		name string
		c    Check
	}
	results := make(chan named, 2)
	probe := func(name string, critical bool, f func(context.Context) error) {
		start := s.now()
		err := f(ctx)
		c := Check{Status: Pass, TimeMs: float64(s.now().Sub(start).Microseconds()) / 1000, Unit: "ms", Time: start.UTC().Format(time.RFC3339), critical: critical}
		if err != nil {
			c.Status = Fail
			c.Output = "unreachable"
			if errors.Is(err, diagram.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
				c.Output = "timed out"
			}
			s.log.WarnContext(ctx, "health check failed", "check", name, "error", err)
		}
		results <- named{name, c}
	}
	go probe("kroki:responseTime", true, func(ctx context.Context) error {
		err := s.renderer.Health(ctx)
		if !errors.Is(ctx.Err(), context.Canceled) { // a client gone says nothing of the renderer
			s.rendererDown.Store(err != nil)
		}
		return err
	})
	go probe("cache:responseTime", false, s.store.Ping)
	status := Pass
	for range 2 {
		r := <-results
		checks[r.name] = r.c
		if r.c.Status == Fail {
			if r.c.critical {
				status = Fail
			} else if status == Pass {
				status = Warn
			}
		}
	}
	return status, checks
}
