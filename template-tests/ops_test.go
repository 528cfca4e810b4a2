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
		"rate(1 minute)":    `\"targets\":[{\"name\":\"primary\"`,
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

// TestAlarms: the guide's thresholds, to the critical and warning topics;
// the probe alarm starts the failover.
func TestAlarms(t *testing.T) {
	tpl := stack(t, "UmlImages-prod-Primary")
	alarms := tpl.ofType("AWS::CloudWatch::Alarm")
	if len(alarms) < 5 {
		t.Fatalf("%d alarms, want at least 5", len(alarms))
	}
	want := map[string]bool{"5xx responses over 5 %": false, "p95 latency over 2 s": false, "Kroki CPU over 80 %": false,
		"Kroki memory over 90 %": false, "fails the primary 3 of 3 minutes": false, "newest backup is older": false}
	thresholds := map[string]float64{"5xx responses over 5 %": 5, "p95 latency over 2 s": 2000, "Kroki CPU over 80 %": 80,
		"Kroki memory over 90 %": 90, "fails the primary 3 of 3 minutes": 1, "newest backup is older": 900}
	for _, a := range alarms {
		desc, _ := a.Properties["AlarmDescription"].(string)
		for k := range want {
			if strings.Contains(desc, k) {
				want[k] = true
				if a.Properties["Threshold"] != thresholds[k] {
					t.Errorf("%s: threshold %v, want %v", k, a.Properties["Threshold"], thresholds[k])
				}
				if a.Properties["AlarmActions"] == nil {
					t.Errorf("%s: no alarm action", k)
				}
			}
		}
	}
	for k, ok := range want {
		if !ok {
			t.Errorf("no alarm for %q", k)
		}
	}
	if n := len(tpl.ofType("AWS::SNS::Topic")); n != 2 {
		t.Errorf("%d SNS topics, want critical and warning", n)
	}
	if len(tpl.ofType("AWS::CloudWatch::Dashboard")) != 1 {
		t.Error("no dashboard")
	}
	found := false
	for _, r := range tpl.ofType("AWS::Events::Rule") {
		if strings.Contains(js(r.Properties["EventPattern"]), "CloudWatch Alarm State Change") {
			found = true
		}
	}
	if !found {
		t.Error("no rule sending the probe alarm's state changes to the failover function")
	}
}
