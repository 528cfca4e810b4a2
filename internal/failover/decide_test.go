package failover_test

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/umlimages/umlimages/internal/failover"
)

var t0 = time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC)

const dwell = 10 * time.Minute

func TestDecide(t *testing.T) {
	onPrimary := failover.State{Active: failover.Primary, Since: t0}
	onStandby := failover.State{Active: failover.Standby, Since: t0}
	later := t0.Add(time.Hour)
	cases := []struct {
		name    string
		st      failover.State
		trigger failover.Trigger
		healthy bool
		now     time.Time
		action  string
		to      string
		reason  string
	}{
		{"alarm moves to a healthy standby", onPrimary, failover.Trigger{Kind: failover.Alarm}, true, later, failover.Switch, failover.Standby, "alarm"},
		{"manual failover", onPrimary, failover.Trigger{Kind: failover.Failover, Reason: "drill"}, true, later, failover.Switch, failover.Standby, "drill"},
		{"never into an unhealthy standby", onPrimary, failover.Trigger{Kind: failover.Alarm}, false, later, failover.Refuse, failover.Standby, "unhealthy"},
		{"inside the dwell time", onPrimary, failover.Trigger{Kind: failover.Alarm}, true, t0.Add(dwell - time.Second), failover.Refuse, failover.Standby, "dwell"},
		{"at the end of the dwell time", onPrimary, failover.Trigger{Kind: failover.Alarm}, true, t0.Add(dwell), failover.Switch, failover.Standby, ""},
		{"no state yet: no dwell", failover.State{Active: failover.Primary}, failover.Trigger{Kind: failover.Alarm}, true, t0, failover.Switch, failover.Standby, ""},
		{"already on the standby", onStandby, failover.Trigger{Kind: failover.Alarm}, true, later, failover.Stay, "", "already"},
		{"alarm back to OK: no automatic fail-back", onStandby, failover.Trigger{Kind: failover.AlarmOK}, true, later, failover.Stay, "", "explicit"},
		{"explicit fail-back to a healthy primary", onStandby, failover.Trigger{Kind: failover.Failback}, true, later, failover.Switch, failover.Primary, ""},
		{"fail-back refused while the primary is unhealthy", onStandby, failover.Trigger{Kind: failover.Failback}, false, later, failover.Refuse, failover.Primary, "unhealthy"},
		{"fail-back when already on the primary", onPrimary, failover.Trigger{Kind: failover.Failback}, true, later, failover.Stay, "", "already"},
		{"status", onPrimary, failover.Trigger{Kind: failover.Status}, false, later, failover.Stay, "", "primary serves"},
		{"unknown trigger", onPrimary, failover.Trigger{Kind: "reboot"}, true, later, failover.Refuse, "", "unknown"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := failover.Decide(c.st, c.trigger, c.healthy, c.now, dwell)
			if d.Action != c.action || (c.to != "" && d.To != c.to) || !strings.Contains(d.Reason, c.reason) {
				t.Errorf("Decide(%+v, %+v, healthy=%v) = %+v; want %s to %q, reason with %q", c.st, c.trigger, c.healthy, d, c.action, c.to, c.reason)
			}
		})
	}
	if d := failover.Decide(onPrimary, failover.Trigger{Kind: failover.Alarm, DryRun: true}, true, later, dwell); !d.DryRun || d.Action != failover.Switch {
		t.Errorf("dry run: %+v; want the same decision, marked dry", d)
	}
}

// TestDecideProperties drives random sequences of triggers, probe results
// and clock steps; applying every Switch never puts two switches inside
// the dwell time, never switches into an unhealthy target, and never fails
// back without an explicit request.
func TestDecideProperties(t *testing.T) {
	kinds := []string{failover.Alarm, failover.AlarmOK, failover.Failover, failover.Failback, failover.Status}
	for seed := range uint64(500) {
		r := rand.New(rand.NewPCG(seed, 7))
		st := failover.State{Active: failover.Primary}
		now := t0
		var lastSwitch time.Time
		for step := range 200 {
			now = now.Add(time.Duration(r.IntN(int(3*dwell/time.Second))) * time.Second / 4)
			trig := failover.Trigger{Kind: kinds[r.IntN(len(kinds))], DryRun: r.IntN(5) == 0}
			healthy := r.IntN(3) != 0
			d := failover.Decide(st, trig, healthy, now, dwell)
			if d.Action != failover.Switch || d.DryRun {
				continue
			}
			switch {
			case !healthy:
				t.Fatalf("seed %d step %d: switched into an unhealthy %s", seed, step, d.To)
			case !lastSwitch.IsZero() && now.Sub(lastSwitch) < dwell:
				t.Fatalf("seed %d step %d: two switches %s apart", seed, step, now.Sub(lastSwitch))
			case d.To == failover.Primary && trig.Kind != failover.Failback:
				t.Fatalf("seed %d step %d: fail-back on %q", seed, step, trig.Kind)
			case d.To == st.Active:
				t.Fatalf("seed %d step %d: switch to the active region", seed, step)
			}
			st, lastSwitch = failover.State{Active: d.To, Since: now}, now
		}
	}
}
