// Package drill plays the loss of the primary region against two complete
// local stacks (store, renderer, render API each), a Route 53 stand-in, the
// real health probe and the real failover switcher, on a simulated clock.
// `make drill` runs it and prints its figures.
package drill_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	cfg "github.com/umlimages/umlimages/internal/config"
	"github.com/umlimages/umlimages/internal/failover"
	"github.com/umlimages/umlimages/internal/probe"
	"github.com/umlimages/umlimages/internal/testsupport/awstest"
	"github.com/umlimages/umlimages/internal/testsupport/stacktest"
)

// The drill's model of what AWS does between our components, each figure
// with where it comes from.
const (
	step = 10 * time.Second // the simulation's resolution
	// alarmDelay: CloudWatch evaluates a 1-minute period once it has
	// ended and its datapoint arrived; we allow a whole minute.
	alarmDelay = time.Minute
	// pollInterval × (pollsToSync-1): Route 53 reports INSYNC once every
	// name server has the change, "generally within 60 seconds".
	pollInterval = 15 * time.Second
	pollsToSync  = 4
	recordTTL    = 60 * time.Second // the weighted records' TTL
	rtoBudget    = 15 * time.Minute
	record       = "origin.diagrams.drill.test."
	zone         = "Z0DRILL"
)

// clock is simulated time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// region is one region of the drill: a complete local stack.
type region struct {
	name  string
	stack *stacktest.Stack
	s3    *s3.Client
}

// replicateSaved is the local stand-in for S3 replication of diagrams/
// (in AWS, a replication rule on each data bucket; here a copy of what
// the destination lacks, run every step: S3 replicates within seconds,
// and Replication Time Control bounds 99.99 % of objects at 15 minutes).
func replicateSaved(ctx context.Context, from, to region) error {
	list, err := from.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &from.stack.Bucket, Prefix: aws.String("diagrams/")})
	if err != nil {
		return err
	}
	for _, o := range list.Contents {
		if _, err := to.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &to.stack.Bucket, Key: o.Key}); err == nil {
			continue
		}
		obj, err := from.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: &from.stack.Bucket, Key: o.Key})
		if err != nil {
			return err
		}
		body, err := io.ReadAll(obj.Body)
		obj.Body.Close()
		if err != nil {
			return err
		}
		if _, err := to.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: &to.stack.Bucket, Key: o.Key, Body: bytes.NewReader(body),
			ContentType: obj.ContentType, Metadata: obj.Metadata}); err != nil {
			return err
		}
	}
	return nil
}

// alarm is the standby's probe alarm, evaluated as CloudWatch does: the
// minute's minimum ProbeAvailability of the primary, below 1 in each of
// the last ProbeAlarmMinutes minutes.
type alarm struct {
	datapoints []float64
	state      string
}

// observe adds a minute's datapoint and returns the state change, if any.
func (a *alarm) observe(v float64) (string, bool) {
	a.datapoints = append(a.datapoints, v)
	next := "OK"
	if n := len(a.datapoints); n >= cfg.ProbeAlarmMinutes {
		next = "ALARM"
		for _, d := range a.datapoints[n-cfg.ProbeAlarmMinutes:] {
			if d >= 1 {
				next = "OK"
			}
		}
	}
	changed := next != a.state
	a.state = next
	return next, changed
}

// availability reads the ProbeAvailability datapoints the probe's own
// reporter wrote (its EMF records), by target.
func availability(t *testing.T, emf *bytes.Buffer) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	sc := bufio.NewScanner(emf)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) != nil {
			continue
		}
		if v, ok := rec["ProbeAvailability"].(float64); ok {
			out[rec["Target"].(string)] = v
		}
	}
	emf.Reset()
	return out
}

func TestRegionLossDrill(t *testing.T) {
	ctx := context.Background()
	sim := &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	primary := region{name: failover.Primary, stack: stacktest.Start(t, stacktest.Options{})}
	standby := region{name: failover.Standby, stack: stacktest.Start(t, stacktest.Options{})}
	primary.s3, standby.s3 = primary.stack.S3.Client(t), standby.stack.S3.Client(t)

	r53 := awstest.NewRoute53(t, zone)
	r53.PollsToSync = pollsToSync
	topic := awstest.NewSNS(t)
	awsCfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("eu-central-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("drill", "drill", "")))
	if err != nil {
		t.Fatal(err)
	}
	probeOpts := probe.Options{Engines: []string{"graphviz"}, Timeout: 20 * time.Second, LatencyBudget: time.Minute}
	// The failover function, in the standby region: its state in the
	// standby's store.
	sw := failover.New(
		route53.NewFromConfig(awsCfg, func(o *route53.Options) { o.BaseEndpoint = aws.String(r53.URL) }),
		standby.s3,
		sns.NewFromConfig(awsCfg, func(o *sns.Options) { o.BaseEndpoint = aws.String(topic.URL) }),
		failover.ProbeChecker{Prober: probe.New(&http.Client{}, probeOpts)},
		failover.Options{
			HostedZoneID: zone, RecordName: record,
			Targets:   map[string]string{failover.Primary: "eu-west-1." + record, failover.Standby: "eu-central-1." + record},
			ProbeURLs: map[string]string{failover.Primary: primary.stack.API.URL, failover.Standby: standby.stack.API.URL},
			MinDwell:  15 * time.Minute, StateBucket: standby.stack.Bucket, TopicARN: "arn:aws:sns:eu-central-1:123456789012:critical",
			SyncTimeout: time.Minute, PollInterval: pollInterval,
			Clock: sim.Now, Sleep: func(_ context.Context, d time.Duration) { sim.Advance(d) },
		},
	)
	// The standby's health probe, with the reporter the function uses.
	var emf bytes.Buffer
	prober := probe.New(&http.Client{Timeout: 5 * time.Second}, probeOpts)
	reporter := probe.NewReporter(slog.New(slog.NewJSONHandler(&emf, nil)), cfg.DefaultNamespace)
	targets := probe.Event{Targets: []probe.Target{{Name: failover.Primary, URL: primary.stack.API.URL}, {Name: failover.Standby, URL: standby.stack.API.URL}}}

	// The first deploy: the failover function writes the records.
	if rep, err := sw.Handle(ctx, failover.Trigger{Kind: failover.Reconcile, Reason: "deploy"}); err != nil || rep.Outcome != "reconciled" {
		t.Fatalf("deploy: %+v, %v", rep, err)
	}
	weights := func() map[string]int64 {
		w, err := sw.Records(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	if w := weights(); w[failover.Primary] != 100 || w[failover.Standby] != 0 {
		t.Fatalf("after the first deploy: %v", w)
	}

	var saved []string
	save := func(i int) {
		body := fmt.Sprintf(`{"diagram_type":"graphviz","diagram_source":"digraph { saved%d -> drill }"}`, i)
		resp, err := http.Post(primary.stack.API.URL+"/v1/diagrams", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatalf("save %d: %v", i, err)
		}
		var out struct {
			ID string `json:"id"`
		}
		json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated || out.ID == "" {
			t.Fatalf("save %d: HTTP %d", i, resp.StatusCode)
		}
		saved = append(saved, out.ID)
	}
	primaryUp := true
	var al alarm
	var alarmAt, switchedAt time.Time
	var decided time.Duration // real time the function's calls took
	var rep failover.Report
	minute := func() {
		if _, err := probe.Handle(ctx, prober, reporter, targets); err != nil {
			t.Fatal(err)
		}
		state, changed := al.observe(availability(t, &emf)[failover.Primary])
		if !changed || state != "ALARM" {
			return
		}
		sim.Advance(alarmDelay)
		alarmAt = sim.Now()
		// EventBridge delivers the alarm's state change to the function.
		ev := failover.Event{DetailType: "CloudWatch Alarm State Change"}
		ev.Detail.AlarmName = "uml-images-drill-standby-probe-primary-failing"
		ev.Detail.State.Value = state
		ev.Detail.State.Reason = "Threshold Crossed: 3 datapoints were less than the threshold (1.0)"
		began := time.Now()
		rep, err = sw.Handle(ctx, ev.Trigger())
		if err != nil || rep.Outcome != "switched" {
			t.Fatalf("failover: %+v, %v", rep, err)
		}
		decided = time.Since(began)
		sim.Advance(decided)
		switchedAt = sim.Now()
	}
	run := func(d time.Duration, each func()) {
		for end := sim.Now().Add(d); sim.Now().Before(end); {
			if each != nil {
				each()
			}
			if primaryUp {
				if err := replicateSaved(ctx, primary, standby); err != nil {
					t.Fatalf("replication: %v", err)
				}
			}
			sim.Advance(step)
			if sim.Now().Second() == 0 {
				minute()
			}
		}
	}

	// Five minutes of traffic: a diagram saved every step.
	i := 0
	run(5*time.Minute, func() { i++; save(i) })
	if w := weights(); w[failover.Primary] != 100 {
		t.Fatalf("a healthy primary lost its traffic: %v", w)
	}
	// 20 s into a minute, the primary region is lost: every process stops.
	sim.Advance(20 * time.Second)
	death := sim.Now()
	primary.stack.Stop()
	primaryUp = false
	sim.Advance(step*4 - 20*time.Second)
	for switchedAt.IsZero() && sim.Now().Sub(death) < 2*rtoBudget {
		run(step, nil)
	}
	if switchedAt.IsZero() {
		t.Fatalf("no failover within %s of the primary's loss", 2*rtoBudget)
	}
	if w := weights(); w[failover.Standby] != 100 || w[failover.Primary] != 0 {
		t.Fatalf("after the failover: %v", w)
	}
	rto := switchedAt.Sub(death) + recordTTL

	served := 0
	for _, id := range saved {
		resp, err := http.Get(standby.stack.API.URL + "/d/" + id + "/svg")
		if err == nil {
			if resp.StatusCode == http.StatusOK {
				served++
			}
			resp.Body.Close()
		}
	}
	lost := 0
	for _, id := range saved {
		if _, err := standby.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &standby.stack.Bucket, Key: aws.String("diagrams/" + id + ".json")}); err != nil {
			lost++
		}
	}

	// A deploy after the switch keeps the traffic on the standby.
	if r, err := sw.Handle(ctx, failover.Trigger{Kind: failover.Reconcile, Reason: "deploy"}); err != nil || r.Outcome != "reconciled" {
		t.Fatalf("deploy after the failover: %+v, %v", r, err)
	}
	if w := weights(); w[failover.Standby] != 100 {
		t.Errorf("a deploy sent traffic back to the failed primary: %v", w)
	}
	// Fail-back: refused while the primary is down, allowed once it is
	// healthy (and the dwell time has passed).
	sim.Advance(16 * time.Minute)
	if r, _ := sw.Handle(ctx, failover.Trigger{Kind: failover.Failback, Reason: "drill"}); r.Outcome != "refused" {
		t.Errorf("fail-back into a dead primary: %s (%s)", r.Outcome, r.Decision.Reason)
	}
	primary.stack.Restart(t)
	if r, err := sw.Handle(ctx, failover.Trigger{Kind: failover.Failback, Reason: "drill: the primary is back"}); err != nil || r.Outcome != "switched" {
		t.Errorf("fail-back into a healthy primary: %+v, %v", r, err)
	}
	if w := weights(); w[failover.Primary] != 100 {
		t.Errorf("after the fail-back: %v", w)
	}

	detection := alarmAt.Sub(death)
	fmt.Printf("rto_seconds: %d\n", int(rto.Seconds()))
	fmt.Printf("saved_served: %d/%d\n", served, len(saved))
	fmt.Printf("lost_writes: %d\n", lost)
	fmt.Printf("rto_breakdown: detection %ds (probe minutes until %d of %d fail, plus %ds for the alarm), decision %s (the standby's health check and the calls, real time), switch %ds (UPSERT to INSYNC), ttl %ds\n",
		int(detection.Seconds()), cfg.ProbeAlarmMinutes, cfg.ProbeAlarmMinutes, int(alarmDelay.Seconds()), decided.Round(time.Millisecond),
		int((switchedAt.Sub(alarmAt) - decided).Seconds()), int(recordTTL.Seconds()))
	if rto > rtoBudget {
		t.Errorf("RTO %s over the %s budget", rto, rtoBudget)
	}
	if served != len(saved) {
		t.Errorf("%d of %d saved diagrams served by the standby", served, len(saved))
	}
	if lost > 0 {
		t.Errorf("%d writes lost", lost)
	}
}
