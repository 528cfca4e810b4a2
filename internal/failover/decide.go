// Package failover moves the public name between the primary and the
// standby region. Decide is a pure function over the current state, the
// trigger, the target's health and the clock; Switcher carries a decision
// out: claim the state with a conditional write (so two runs cannot both
// switch), UPSERT the pre-created Route 53 records in one batch, wait for
// INSYNC, record the state and an audit entry, and notify SNS.
package failover

import (
	"fmt"
	"time"
)

// Region names.
const (
	Primary = "primary"
	Standby = "standby"
)

// State is which region serves, since when.
type State struct {
	Active string    `json:"active"`
	Since  time.Time `json:"since"`
}

// Trigger kinds.
const (
	Alarm    = "alarm"    // the probe alarm went to ALARM
	AlarmOK  = "alarm-ok" // the probe alarm went back to OK
	Failover = "failover" // an operator asks to move to the standby
	Failback = "failback" // an operator asks to move back to the primary
	Status   = "status"   // an operator asks where we are
	// Reconcile comes from a deploy: make the records say what the state
	// says (the targets may have changed), never the other way round.
	Reconcile = "reconcile"
)

// Trigger is why the function runs.
type Trigger struct {
	Kind   string `json:"kind"`
	DryRun bool   `json:"dryRun"`
	Reason string `json:"reason,omitempty"`
	Source string `json:"source,omitempty"` // who or what: the alarm's name, an operator
}

// Actions a decision may take.
const (
	Switch = "switch"
	Stay   = "stay"
	Refuse = "refuse"
)

// Decision is what to do, and why.
type Decision struct {
	Action string `json:"action"`
	To     string `json:"to,omitempty"` // the region to switch to
	Reason string `json:"reason"`
	DryRun bool   `json:"dryRun,omitempty"`
}

// Decide chooses: a failover (alarm or manual) moves to the standby, a
// fail-back (only on an explicit request) to the primary; never into a
// target that probes unhealthy, never twice within minDwell, never back
// automatically when the alarm clears. A dry run decides the same and is
// marked so, for the caller not to act.
func Decide(st State, t Trigger, targetHealthy bool, now time.Time, minDwell time.Duration) Decision {
	d := decide(st, t, targetHealthy, now, minDwell)
	d.DryRun = t.DryRun
	return d
}

func decide(st State, t Trigger, targetHealthy bool, now time.Time, minDwell time.Duration) Decision {
	var to string
	switch t.Kind {
	case Status:
		return Decision{Action: Stay, Reason: fmt.Sprintf("%s serves, since %s", st.Active, st.Since.Format(time.RFC3339))}
	case AlarmOK:
		return Decision{Action: Stay, Reason: "the alarm cleared; fail-back happens only on an explicit request"}
	case Alarm, Failover:
		to = Standby
	case Failback:
		to = Primary
	default:
		return Decision{Action: Refuse, Reason: fmt.Sprintf("unknown trigger %q", t.Kind)}
	}
	if st.Active == to {
		return Decision{Action: Stay, Reason: fmt.Sprintf("%s already serves", to)}
	}
	if since := now.Sub(st.Since); !st.Since.IsZero() && since < minDwell {
		return Decision{Action: Refuse, To: to, Reason: fmt.Sprintf("the last switch was %s ago, inside the minimum dwell of %s", since.Round(time.Second), minDwell)}
	}
	if !targetHealthy {
		return Decision{Action: Refuse, To: to, Reason: fmt.Sprintf("the %s probes unhealthy; switching would make things worse", to)}
	}
	return Decision{Action: Switch, To: to, Reason: fmt.Sprintf("%s: %s", t.Kind, t.Reason)}
}
