package failover_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/umlimages/umlimages/internal/failover"
	"github.com/umlimages/umlimages/internal/probe"
	"github.com/umlimages/umlimages/internal/testsupport/awstest"
	"github.com/umlimages/umlimages/internal/testsupport/s3test"
	"github.com/umlimages/umlimages/internal/testsupport/stacktest"
)

const (
	zone   = "Z0EXAMPLE"
	record = "diagrams.example.com."
)

type rig struct {
	r53      *awstest.Route53
	sns      *awstest.SNS
	s3       *s3test.Server
	bucket   string
	primary  *stacktest.Stack
	standby  *stacktest.Stack
	awsCfg   aws.Config
	minDwell time.Duration
}

func weight(w int64) *int64 { return &w }

func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{
		r53: awstest.NewRoute53(t, zone,
			awstest.RecordSet{Name: record, Type: "CNAME", SetIdentifier: "primary", Weight: weight(100), TTL: 60, Values: []string{"primary.example.net"}},
			awstest.RecordSet{Name: record, Type: "CNAME", SetIdentifier: "standby", Weight: weight(0), TTL: 60, Values: []string{"standby.example.net"}},
		),
		sns:      awstest.NewSNS(t),
		s3:       s3test.Start(t),
		primary:  stacktest.Start(t, stacktest.Options{}),
		standby:  stacktest.Start(t, stacktest.Options{}),
		minDwell: time.Hour,
	}
	r.bucket = r.s3.Bucket(t, "state")
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 4
				o.MaxBackoff = 20 * time.Millisecond
			})
		}),
	)
	if err != nil {
		t.Fatal(err)
	}
	r.awsCfg = cfg
	return r
}

func (r *rig) switcher(t *testing.T) *failover.Switcher {
	t.Helper()
	return failover.New(
		route53.NewFromConfig(r.awsCfg, func(o *route53.Options) { o.BaseEndpoint = aws.String(r.r53.URL) }),
		r.s3.Client(t),
		sns.NewFromConfig(r.awsCfg, func(o *sns.Options) { o.BaseEndpoint = aws.String(r.sns.URL) }),
		failover.ProbeChecker{Prober: probe.New(&http.Client{}, probe.Options{Engines: []string{"graphviz"}, Timeout: 20 * time.Second, LatencyBudget: time.Minute})},
		failover.Options{
			HostedZoneID: zone, RecordName: record,
			Targets:   map[string]string{failover.Primary: "primary.example.net", failover.Standby: "standby.example.net"},
			ProbeURLs: map[string]string{failover.Primary: r.primary.API.URL, failover.Standby: r.standby.API.URL},
			MinDwell:  r.minDwell, StateBucket: r.bucket, TopicARN: "arn:aws:sns:us-east-1:123456789012:critical",
			SyncTimeout: 500 * time.Millisecond, PollInterval: 20 * time.Millisecond,
		},
	)
}

// weights reads the records through the real SDK (ListResourceRecordSets).
func weights(t *testing.T, s *failover.Switcher) map[string]int64 {
	t.Helper()
	w, err := s.Records(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func serving(t *testing.T, s *failover.Switcher, want string) {
	t.Helper()
	w := weights(t, s)
	other := failover.Primary
	if want == failover.Primary {
		other = failover.Standby
	}
	if w[want] != 100 || w[other] != 0 {
		t.Fatalf("weights %v; want %s serving", w, want)
	}
}

func TestFailoverThenFailback(t *testing.T) {
	r := newRig(t)
	r.minDwell = 0
	s := r.switcher(t)
	ctx := context.Background()
	rep, err := s.Handle(ctx, failover.Trigger{Kind: failover.Alarm, Source: "alarm probe", Reason: "3 of 3 minutes failing"})
	if err != nil || rep.Outcome != "switched" || rep.After.Active != failover.Standby {
		t.Fatalf("failover: %+v, %v", rep, err)
	}
	serving(t, s, failover.Standby)
	if r.r53.Batches.Load() != 1 {
		t.Errorf("change batches: %d, want 1 (both records in one batch)", r.r53.Batches.Load())
	}
	rep, err = s.Handle(ctx, failover.Trigger{Kind: failover.Failback, Reason: "primary recovered"})
	if err != nil || rep.Outcome != "switched" || rep.After.Active != failover.Primary {
		t.Fatalf("failback: %+v, %v", rep, err)
	}
	serving(t, s, failover.Primary)
	msgs := r.sns.Messages()
	if len(msgs) != 2 || msgs[0].TopicARN == "" {
		t.Errorf("notifications: %+v", msgs)
	}
	audits := 0
	out, _ := r.s3.Client(t).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &r.bucket, Prefix: aws.String("failover/audit/")})
	audits = len(out.Contents)
	if audits != 2 {
		t.Errorf("audit entries: %d, want 2", audits)
	}
}

func TestRefusals(t *testing.T) {
	ctx := context.Background()
	t.Run("standby unhealthy", func(t *testing.T) {
		r := newRig(t)
		r.standby.Renderer.Close()
		s := r.switcher(t)
		rep, err := s.Handle(ctx, failover.Trigger{Kind: failover.Alarm})
		if err != nil || rep.Outcome != "refused" || rep.Health == "" {
			t.Fatalf("%+v, %v", rep, err)
		}
		serving(t, s, failover.Primary)
		if len(r.sns.Messages()) != 1 {
			t.Error("a refused failover was not notified")
		}
	})
	t.Run("inside the dwell time", func(t *testing.T) {
		r := newRig(t)
		s := r.switcher(t)
		if rep, err := s.Handle(ctx, failover.Trigger{Kind: failover.Failover}); err != nil || rep.Outcome != "switched" {
			t.Fatalf("first switch: %+v, %v", rep, err)
		}
		rep, err := s.Handle(ctx, failover.Trigger{Kind: failover.Failback})
		if err != nil || rep.Outcome != "refused" {
			t.Fatalf("%+v, %v", rep, err)
		}
		serving(t, s, failover.Standby)
	})
	t.Run("alarm back to OK", func(t *testing.T) {
		r := newRig(t)
		r.minDwell = 0
		s := r.switcher(t)
		s.Handle(ctx, failover.Trigger{Kind: failover.Alarm})
		rep, err := s.Handle(ctx, failover.Trigger{Kind: failover.AlarmOK})
		if err != nil || rep.Outcome != "stayed" {
			t.Fatalf("%+v, %v", rep, err)
		}
		serving(t, s, failover.Standby)
	})
	t.Run("dry run", func(t *testing.T) {
		r := newRig(t)
		s := r.switcher(t)
		rep, err := s.Handle(ctx, failover.Trigger{Kind: failover.Failover, DryRun: true})
		if err != nil || rep.Outcome != "dry-run" || rep.Decision.Action != failover.Switch {
			t.Fatalf("%+v, %v", rep, err)
		}
		serving(t, s, failover.Primary)
		if r.r53.Batches.Load() != 0 || len(r.sns.Messages()) != 0 {
			t.Error("a dry run changed records or notified")
		}
	})
	t.Run("concurrent runs", func(t *testing.T) {
		r := newRig(t)
		const n = 4
		var wg sync.WaitGroup
		outcomes := make([]string, n)
		for i := range n {
			s := r.switcher(t)
			wg.Go(func() {
				rep, err := s.Handle(ctx, failover.Trigger{Kind: failover.Alarm})
				if err != nil {
					t.Error(err)
				}
				outcomes[i] = rep.Outcome
			})
		}
		wg.Wait()
		switched := 0
		for _, o := range outcomes {
			if o == "switched" {
				switched++
			}
		}
		if switched != 1 || r.r53.Batches.Load() != 1 {
			t.Fatalf("outcomes %v, %d change batches; want exactly one switch", outcomes, r.r53.Batches.Load())
		}
		serving(t, r.switcher(t), failover.Standby)
	})
}

func TestRoute53Faults(t *testing.T) {
	ctx := context.Background()
	t.Run("500s within the retry budget", func(t *testing.T) {
		r := newRig(t)
		r.r53.Fail5xx.Store(2)
		s := r.switcher(t)
		if rep, err := s.Handle(ctx, failover.Trigger{Kind: failover.Failover}); err != nil || rep.Outcome != "switched" {
			t.Fatalf("%+v, %v", rep, err)
		}
		serving(t, s, failover.Standby)
	})
	for name, fault := range map[string]func(*awstest.Route53){
		"500s past the budget":       func(r *awstest.Route53) { r.Fail5xx.Store(100) },
		"throttling past the budget": func(r *awstest.Route53) { r.Throttle.Store(100) },
	} {
		t.Run(name, func(t *testing.T) {
			r := newRig(t)
			s := r.switcher(t)
			fault(r.r53)
			before := r.r53.Requests.Load()
			rep, err := s.Handle(ctx, failover.Trigger{Kind: failover.Failover})
			if err == nil || rep.Outcome != "failed" {
				t.Fatalf("%+v, %v; want a clean failure", rep, err)
			}
			if tries := r.r53.Requests.Load() - before; tries != 4 {
				t.Errorf("Route 53 requests: %d, want 4 (the retry budget)", tries)
			}
			r.r53.Fail5xx.Store(0)
			r.r53.Throttle.Store(0)
			serving(t, s, failover.Primary)
			status, err := s.Handle(ctx, failover.Trigger{Kind: failover.Status})
			if err != nil || status.Before.Active != failover.Primary {
				t.Errorf("state after the failure: %+v, %v", status.Before, err)
			}
			if rep, err := s.Handle(ctx, failover.Trigger{Kind: failover.Failover}); err != nil || rep.Outcome != "switched" {
				t.Errorf("a retry after the fault: %+v, %v", rep, err)
			}
		})
	}
	t.Run("INSYNC never arrives", func(t *testing.T) {
		r := newRig(t)
		r.r53.NeverSync.Store(true)
		s := r.switcher(t)
		rep, err := s.Handle(ctx, failover.Trigger{Kind: failover.Failover})
		if !errors.Is(err, failover.ErrUnconfirmed) || rep.Outcome != "unconfirmed" || rep.Timings.Sync < 500 {
			t.Fatalf("%+v, %v", rep, err)
		}
		if rep.Timings.Sync > 5000 {
			t.Errorf("the wait for INSYNC took %.0f ms; it is bounded at 500", rep.Timings.Sync)
		}
	})
}

// TestWithoutZoneAdvises: in an environment without a hosted zone the
// failover starts, decides, and tells the operators, changing nothing.
func TestWithoutZoneAdvises(t *testing.T) {
	r := newRig(t)
	r.minDwell = 0
	s := failover.New(nil, r.s3.Client(t),
		sns.NewFromConfig(r.awsCfg, func(o *sns.Options) { o.BaseEndpoint = aws.String(r.sns.URL) }),
		failover.ProbeChecker{Prober: probe.New(&http.Client{}, probe.Options{Engines: []string{"graphviz"}, Timeout: 20 * time.Second, LatencyBudget: time.Minute})},
		failover.Options{
			ProbeURLs:   map[string]string{failover.Primary: r.primary.API.URL, failover.Standby: r.standby.API.URL},
			StateBucket: r.bucket, TopicARN: "arn:aws:sns:us-east-1:123456789012:critical",
		},
	)
	rep, err := s.Handle(context.Background(), failover.Trigger{Kind: failover.Alarm, Source: "alarm probe", Reason: "3 of 3 minutes failing"})
	if err != nil || rep.Outcome != "advised" || rep.After.Active != rep.Before.Active {
		t.Fatalf("%+v, %v", rep, err)
	}
	if msgs := r.sns.Messages(); len(msgs) != 1 || !strings.Contains(msgs[0].Subject, "advised") {
		t.Errorf("notifications: %+v", msgs)
	}
	if w, err := s.Records(context.Background()); err != nil || w != nil {
		t.Errorf("records without a zone: %v, %v", w, err)
	}
}

// TestReconcileKeepsTheSwitch: a deploy after a failover rewrites the
// records for the region the state names, so traffic stays on the standby;
// before any switch it (re)creates them for the primary.
func TestReconcileKeepsTheSwitch(t *testing.T) {
	r := newRig(t)
	r.minDwell = 0
	s := r.switcher(t)
	ctx := context.Background()
	if rep, err := s.Handle(ctx, failover.Trigger{Kind: failover.Reconcile}); err != nil || rep.Outcome != "reconciled" {
		t.Fatalf("first deploy: %+v, %v", rep, err)
	}
	serving(t, s, failover.Primary)
	if rep, err := s.Handle(ctx, failover.Trigger{Kind: failover.Alarm, Reason: "primary down"}); err != nil || rep.Outcome != "switched" {
		t.Fatalf("failover: %+v, %v", rep, err)
	}
	rep, err := s.Handle(ctx, failover.Trigger{Kind: failover.Reconcile})
	if err != nil || rep.Outcome != "reconciled" || rep.After.Active != failover.Standby {
		t.Fatalf("deploy after the switch: %+v, %v", rep, err)
	}
	serving(t, s, failover.Standby)
}
