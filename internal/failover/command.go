package failover

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/umlimages/umlimages/internal/probe"
)

// ProbeChecker judges a region by the health probe: healthy unless the
// probe fails (a warn still serves).
type ProbeChecker struct{ Prober *probe.Prober }

// Healthy probes url.
func (c ProbeChecker) Healthy(ctx context.Context, url string) (bool, string) {
	if url == "" {
		return false, "no probe URL configured"
	}
	r := c.Prober.Probe(ctx, probe.Target{Name: "failover-target", URL: url})
	var failing []string
	for _, ch := range r.Checks {
		if ch.Status == probe.Fail {
			failing = append(failing, strings.TrimSuffix(ch.Name+":"+ch.Engine, ":"))
		}
	}
	detail := string(r.Status)
	if len(failing) > 0 {
		detail += " (failing: " + strings.Join(failing, ", ") + ")"
	}
	return r.Status != probe.Fail, detail
}

// Event is what the function is invoked with: a CloudWatch alarm state
// change delivered by EventBridge, or an operator's manual event
// {"action": "status"|"failover"|"failback", "dryRun": bool, "reason": "..."}.
type Event struct {
	Action     string `json:"action"`
	DryRun     bool   `json:"dryRun"`
	Reason     string `json:"reason"`
	DetailType string `json:"detail-type"`
	Detail     struct {
		AlarmName string `json:"alarmName"`
		State     struct {
			Value  string `json:"value"`
			Reason string `json:"reason"`
		} `json:"state"`
	} `json:"detail"`
}

// Trigger turns an event into a trigger.
func (ev Event) Trigger() Trigger {
	if ev.DetailType == "CloudWatch Alarm State Change" {
		t := Trigger{Kind: Status, Source: "alarm " + ev.Detail.AlarmName, Reason: ev.Detail.State.Reason}
		switch ev.Detail.State.Value {
		case "ALARM":
			t.Kind = Alarm
		case "OK":
			t.Kind = AlarmOK
		}
		return t
	}
	return Trigger{Kind: ev.Action, DryRun: ev.DryRun, Reason: ev.Reason, Source: "manual"}
}

// Command is the command line: failover status|failover|failback
// [--dry-run] [--reason TEXT]. It prints the report and returns the exit
// status: 0 switched or stayed, 1 refused, 2 failed.
func Command(ctx context.Context, args []string, stdout, stderr io.Writer, s *Switcher) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: failover status | failover | failback [--dry-run] [--reason TEXT]")
		return 2
	}
	fs := flag.NewFlagSet("failover "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	dryRun := fs.Bool("dry-run", false, "decide without acting")
	reason := fs.String("reason", "", "why, for the audit entry")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	switch args[0] {
	case Status, Failover, Failback:
	default:
		fmt.Fprintf(stderr, "failover: unknown verb %q\n", args[0])
		return 2
	}
	rep, err := s.Handle(ctx, Trigger{Kind: args[0], DryRun: *dryRun, Reason: *reason, Source: "command line"})
	out := map[string]any{"report": rep}
	if args[0] == Status {
		if weights, werr := s.Records(ctx); werr == nil {
			out["weights"] = weights
		}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.Encode(out)
	switch {
	case err != nil:
		fmt.Fprintln(stderr, "failover:", err)
		return 2
	case rep.Outcome == "refused":
		return 1
	}
	return 0
}
