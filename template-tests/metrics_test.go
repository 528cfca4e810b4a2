package templatetests

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/umlimages/umlimages/internal/backup"
	"github.com/umlimages/umlimages/internal/config"
	"github.com/umlimages/umlimages/internal/obs"
	"github.com/umlimages/umlimages/internal/probe"
	"github.com/umlimages/umlimages/internal/render"
)

// TestAlarmsWatchEmittedMetrics: every alarm on our own namespace watches
// a metric the functions emit, with the dimensions they emit it under
// (the EMF records of render, the probe and the backup).
func TestAlarmsWatchEmittedMetrics(t *testing.T) {
	emitted := map[string]bool{} // "metric|dim,dim"
	for _, r := range []obs.Record{render.RequestRecord, probe.CheckRecord, probe.VerdictRecord, backup.RunRecord} {
		dims := slices.Sorted(slices.Values(r.Dimensions))
		for _, m := range r.Metrics {
			emitted[m.Name+"|"+strings.Join(dims, ",")] = true
		}
	}
	watched := 0
	for _, tpl := range synth(t) {
		for id, a := range tpl.ofType("AWS::CloudWatch::Alarm") {
			for _, m := range ownMetrics(a.Properties) {
				watched++
				if !emitted[m] {
					t.Errorf("%s %s watches %s, which no function emits", tpl.Name, id, m)
				}
			}
		}
	}
	if watched == 0 {
		t.Fatal("no alarm watches an EMF metric: the test checks nothing")
	}
}

// ownMetrics are the metrics in our namespace an alarm watches, as
// "name|sorted dimension names".
func ownMetrics(p map[string]any) []string {
	var out []string
	add := func(ns, name any, dims any) {
		if ns != config.DefaultNamespace {
			return
		}
		var keys []string
		for _, d := range asList(dims) {
			keys = append(keys, asMap(d)["Name"].(string))
		}
		sort.Strings(keys)
		out = append(out, name.(string)+"|"+strings.Join(keys, ","))
	}
	if p["MetricName"] != nil {
		add(p["Namespace"], p["MetricName"], p["Dimensions"])
	}
	for _, m := range asList(p["Metrics"]) {
		if stat, ok := asMap(m)["MetricStat"]; ok {
			metric := asMap(asMap(stat)["Metric"])
			add(metric["Namespace"], metric["MetricName"], metric["Dimensions"])
		}
	}
	return out
}
