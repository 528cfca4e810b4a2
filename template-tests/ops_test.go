package templatetests

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
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

// TestAlarms: every row of docs/operations.md's alerting table, and the
// extras, is an alarm in each regional stack with its threshold, period,
// evaluation count and direction, and alarm and OK actions on the topic of
// its severity.
func TestAlarms(t *testing.T) {
	type row struct {
		what              string
		threshold, period float64
		periods           float64
		below, critical   bool
		onlyIn            string // a stack part, or both
	}
	rows := []row{
		{what: "the health probe fails this region 3 of 3 minutes", threshold: 1, period: 60, periods: 3, below: true, critical: true},
		{what: "5xx responses over 5 % of requests for 5 minutes", threshold: 5, period: 60, periods: 5, critical: true},
		{what: "p95 latency over 2 s for 5 minutes", threshold: 2000, period: 60, periods: 5},
		{what: "the render function's p95 duration over 2 s", threshold: 2000, period: 60, periods: 5},
		{what: "Kroki CPU over 80 % for 5 minutes", threshold: 80, period: 60, periods: 5},
		{what: "Kroki memory over 90 % for 5 minutes", threshold: 90, period: 60, periods: 5, critical: true},
		{what: "the render function's memory over 90 %", threshold: 90, period: 60, periods: 5, critical: true},
		{what: "free ephemeral storage under 10 %", threshold: 10, period: 60, periods: 5, below: true, critical: true},
		{what: "over 100 requests in flight", threshold: 100, period: 60, periods: 5},
		{what: "fewer than 3 Kroki tasks running", threshold: 3, period: 60, periods: 5, below: true, critical: true},
		{what: "a Kroki target unhealthy", threshold: 0, period: 60, periods: 5},
		{what: "the newest backup is older than 10 minutes", threshold: 600, period: 300, periods: 2, critical: true},
		{what: "the Render function failed invocations", threshold: 0, period: 300, periods: 2, critical: true},
		{what: "the HealthProbe function failed invocations", threshold: 0, period: 300, periods: 2, critical: true},
		{what: "the Backup function failed invocations", threshold: 0, period: 300, periods: 2, critical: true},
		{what: "the Failover function failed invocations", threshold: 0, period: 300, periods: 2, critical: true, onlyIn: "Standby"},
		{what: "the Render function was throttled", threshold: 0, period: 300, periods: 2},
		{what: "the Backup function was throttled", threshold: 0, period: 300, periods: 2},
		{what: "the HealthProbe function's dead-letter queue", threshold: 0, period: 60, periods: 1, critical: true},
		{what: "the Backup function's dead-letter queue", threshold: 0, period: 60, periods: 1, critical: true},
		{what: "the Failover function's dead-letter queue", threshold: 0, period: 60, periods: 1, critical: true, onlyIn: "Standby"},
		{what: "the health probe fails the primary 3 of 3 minutes", threshold: 1, period: 60, periods: 3, below: true, critical: true, onlyIn: "Standby"},
		{what: "the health probe fails the standby 3 of 3 minutes", threshold: 1, period: 60, periods: 3, below: true, onlyIn: "Primary"},
		{what: "CloudFront's 5xx rate over 5 % for 5 minutes", threshold: 5, period: 60, periods: 5, critical: true, onlyIn: "Monitor"},
		{what: "the web ACL blocked over ten times", threshold: 20000, period: 300, periods: 1, onlyIn: "Monitor"},
	}
	for _, part := range []string{"Primary", "Standby", "Monitor"} {
		tpl := stack(t, "UmlImages-prod-"+part)
		alarms := tpl.ofType("AWS::CloudWatch::Alarm")
		for _, r := range rows {
			if r.onlyIn != part && (r.onlyIn != "" || part == "Monitor") {
				continue
			}
			var found []Resource
			for _, a := range alarms {
				if desc, _ := a.Properties["AlarmDescription"].(string); strings.Contains(desc, r.what) {
					found = append(found, a)
				}
			}
			if len(found) != 1 {
				t.Errorf("%s: %d alarms for %q, want 1", part, len(found), r.what)
				continue
			}
			p := found[0].Properties
			op := "GreaterThanThreshold"
			if r.below {
				op = "LessThanThreshold"
			}
			if p["Threshold"] != r.threshold || p["EvaluationPeriods"] != r.periods || p["ComparisonOperator"] != op || alarmPeriod(p) != r.period {
				t.Errorf("%s %q: threshold %v, %v periods of %v s, %v; want %v, %v of %v s, %s",
					part, r.what, p["Threshold"], p["EvaluationPeriods"], alarmPeriod(p), p["ComparisonOperator"], r.threshold, r.periods, r.period, op)
			}
			topic := "Warning"
			if r.critical {
				topic = "Critical"
			}
			for _, actions := range []string{"AlarmActions", "OKActions"} {
				if got := js(p[actions]); !strings.Contains(got, "Alerts"+topic) || len(asList(p[actions])) != 1 {
					t.Errorf("%s %q: %s %s, want the %s topic", part, r.what, actions, got, topic)
				}
			}
		}
		if n := len(tpl.ofType("AWS::SNS::Topic")); n != 2 {
			t.Errorf("%s: %d SNS topics, want critical and warning", part, n)
		}
		dashboards := tpl.ofType("AWS::CloudWatch::Dashboard")
		if len(dashboards) != 1 {
			t.Errorf("%s: %d dashboards, want 1", part, len(dashboards))
		}
		// The thresholds are drawn on the graphs (a region's p95, the
		// global view's CDN error rate).
		want := map[string]string{"Primary": `\"value\":2000`, "Standby": `\"value\":2000`, "Monitor": `\"value\":5`}[part]
		for _, d := range dashboards {
			if body := js(d.Properties["DashboardBody"]); !strings.Contains(body, `\"annotations\"`) || !strings.Contains(body, want) {
				t.Errorf("%s: the dashboard draws no threshold %s", part, want)
			}
		}
	}
}

// alarmPeriod is an alarm's period in seconds: its own, or its math
// expression's metrics'.
func alarmPeriod(p map[string]any) any {
	if v, ok := p["Period"]; ok {
		return v
	}
	for _, m := range asList(p["Metrics"]) {
		if stat, ok := asMap(m)["MetricStat"]; ok {
			return asMap(stat)["Period"]
		}
	}
	return nil
}

// TestAlarmsLinkRunbooks: every alarm of every stack names its severity
// and links a section that exists in docs/runbooks.md.
func TestAlarmsLinkRunbooks(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "runbooks.md"))
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	for _, line := range strings.Split(string(doc), "\n") {
		if h, ok := strings.CutPrefix(line, "## "); ok {
			anchors[githubAnchor(h)] = true
		}
	}
	link := regexp.MustCompile(`^(CRITICAL|WARNING) P[1-4], .+\. Runbook: docs/runbooks\.md#([a-z0-9-]+)$`)
	n := 0
	for _, tpl := range synth(t) {
		for id, a := range tpl.ofType("AWS::CloudWatch::Alarm") {
			desc, _ := a.Properties["AlarmDescription"].(string)
			m := link.FindStringSubmatch(desc)
			if m == nil || !anchors[m[2]] {
				t.Errorf("%s %s: %q does not link a section of docs/runbooks.md", tpl.Name, id, desc)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("no alarms")
	}
}

// githubAnchor is the anchor GitHub gives a heading.
func githubAnchor(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(h)) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}
