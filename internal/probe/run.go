package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"text/tabwriter"
)

// Event is what the EventBridge schedule sends: the rule's input names the
// targets (and may narrow the engines).
type Event struct {
	Targets []Target `json:"targets"`
	Engines []string `json:"engines,omitempty"`
}

// Summary is the answer to an Event: the worst verdict and every result.
type Summary struct {
	Status  Status   `json:"status"`
	Results []Result `json:"results"`
}

// ErrNoTargets: the event named nothing to probe (a bug in the schedule).
var ErrNoTargets = errors.New("probe: the event names no targets")

// Handle probes every target of ev at once and reports each result.
func Handle(ctx context.Context, p *Prober, rep *Reporter, ev Event) (Summary, error) {
	if len(ev.Targets) == 0 {
		return Summary{}, ErrNoTargets
	}
	if len(ev.Engines) > 0 {
		narrowed := *p
		narrowed.o.Engines = ev.Engines
		p = &narrowed
	}
	sum := Summary{Status: Pass, Results: make([]Result, len(ev.Targets))}
	var wg sync.WaitGroup
	for i, t := range ev.Targets {
		wg.Go(func() { sum.Results[i] = p.Probe(ctx, t) })
	}
	wg.Wait()
	for _, r := range sum.Results {
		rep.Report(ctx, r)
		sum.Status = worse(sum.Status, r.Status)
	}
	return sum, nil
}

func worse(a, b Status) Status {
	rank := map[Status]int{Pass: 0, Warn: 1, Fail: 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// ExitCode is the command line's exit status for a verdict: 0 pass, 1
// warn, 2 fail.
func ExitCode(s Status) int {
	switch s {
	case Pass:
		return 0
	case Warn:
		return 1
	default:
		return 2
	}
}

// WriteTable prints a result as a readable table.
func WriteTable(w io.Writer, r Result) error {
	fmt.Fprintf(w, "%s (%s): %s in %.0f ms\n", r.Target, r.URL, r.Status, r.DurationMs)
	for _, why := range r.Reasons {
		fmt.Fprintf(w, "  %s: %s\n", r.Status, why)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tENGINE\tSTATUS\tLATENCY\tERROR")
	for _, c := range r.Checks {
		status := string(c.Status)
		if c.Slow {
			status += " (slow)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.1f ms\t%s\n", c.Name, c.Engine, status, c.LatencyMs, c.Error)
	}
	return tw.Flush()
}
