package probe

import (
	"context"
	"log/slog"
	"time"

	"github.com/umlimages/umlimages/internal/obs"
)

// Reporter writes results as structured logs whose lines are EMF records:
// one per check (dimensions Target and Check, e.g. "render:graphviz") and
// one for the verdict (dimension Target), which the failover alarm watches.
type Reporter struct {
	log     *slog.Logger
	checks  *obs.EMF
	verdict *obs.EMF
}

// NewReporter returns a reporter writing to log under namespace.
func NewReporter(log *slog.Logger, namespace string) *Reporter {
	return &Reporter{
		log:     log,
		checks:  CheckRecord.EMF(namespace),
		verdict: VerdictRecord.EMF(namespace),
	}
}

// The probe's EMF records: one per check, and the verdict per target.
var (
	CheckRecord = obs.Record{Dimensions: []string{"Target", "Check"}, Metrics: []obs.MetricDef{
		{Name: "Availability", Unit: obs.None}, {Name: "Latency", Unit: obs.Milliseconds}}}
	VerdictRecord = obs.Record{Dimensions: []string{"Target"}, Metrics: []obs.MetricDef{
		{Name: "ProbeAvailability", Unit: obs.None}, {Name: "ProbeDegraded", Unit: obs.None}, {Name: "ProbeDuration", Unit: obs.Milliseconds}}}
)

// Report logs r: a line per check, then the verdict with the document.
func (rep *Reporter) Report(ctx context.Context, r Result) {
	now := time.Now()
	for _, c := range r.Checks {
		name := c.Name
		if c.Engine != "" {
			name += ":" + c.Engine
		}
		attrs := rep.checks.Attrs(nil, now, []string{r.Target, name}, flag(c.Status == Pass), c.LatencyMs)
		if c.Error != "" {
			attrs = append(attrs, slog.String("error", c.Error))
		}
		rep.log.LogAttrs(ctx, slog.LevelInfo, "probe check", attrs...)
	}
	attrs := rep.verdict.Attrs(nil, now, []string{r.Target}, flag(r.Status != Fail), flag(r.Status == Warn), r.DurationMs)
	attrs = append(attrs, slog.String("status", string(r.Status)), slog.Any("result", r))
	level := slog.LevelInfo
	if r.Status != Pass {
		level = slog.LevelWarn
	}
	rep.log.LogAttrs(ctx, level, "probe result", attrs...)
}

func flag(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
