package templatetests

import (
	"strings"
	"testing"
)

func TestSchedules(t *testing.T) {
	tpl := stack(t, "UmlImages-prod-Primary")
	got := map[string]string{}
	for _, r := range tpl.ofType("AWS::Events::Rule") {
		if s, ok := r.Properties["ScheduleExpression"].(string); ok {
			got[s] = js(r.Properties["Targets"])
		}
	}
	for expr, input := range map[string]string{
		"rate(5 minutes)":   `\"kind\":\"incremental\"`,
		"cron(0 2 * * ? *)": `\"kind\":\"full\"`,
		"rate(1 minute)":    `\"targets\":[{\"name\":\"primary\",\"url\":\"https://eu-west-1.origin.diagrams.acme.test/\"},{\"name\":\"standby\"`,
	} {
		targets, ok := got[expr]
		if !ok {
			t.Errorf("no schedule %s (have %v)", expr, got)
			continue
		}
		if !strings.Contains(targets, input) {
			t.Errorf("schedule %s input: %s, want %s", expr, targets, input)
		}
	}
}

// TestAlarms: the thresholds of docs/operations.md on each region, to that region's
// critical and warning topics; the standby's probe alarm on the primary
// starts the failover, in the standby region.
func TestAlarms(t *testing.T) {
	for _, part := range []string{"Primary", "Standby"} {
		tpl := stack(t, "UmlImages-prod-"+part)
		alarms := tpl.ofType("AWS::CloudWatch::Alarm")
		want := map[string]float64{"5xx responses over 5 %": 5, "p95 latency over 2 s": 2000, "Kroki CPU over 80 %": 80,
			"Kroki memory over 90 %": 90, "3 of 3 minutes": 1}
		want["newest backup is older"] = 900
		found := map[string]bool{}
		for _, a := range alarms {
			desc, _ := a.Properties["AlarmDescription"].(string)
			for k, th := range want {
				if strings.Contains(desc, k) {
					found[k] = true
					if a.Properties["Threshold"] != th {
						t.Errorf("%s %s: threshold %v, want %v", part, k, a.Properties["Threshold"], th)
					}
					if a.Properties["AlarmActions"] == nil {
						t.Errorf("%s %s: no alarm action", part, k)
					}
				}
			}
		}
		for k := range want {
			if !found[k] {
				t.Errorf("%s: no alarm for %q", part, k)
			}
		}
		if n := len(tpl.ofType("AWS::SNS::Topic")); n != 2 {
			t.Errorf("%s: %d SNS topics, want critical and warning", part, n)
		}
		if len(tpl.ofType("AWS::CloudWatch::Dashboard")) != 1 {
			t.Errorf("%s: no dashboard", part)
		}
	}
}
