package failover

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/umlimages/umlimages/internal/cache"
	"github.com/umlimages/umlimages/internal/config"
)

// Options configure a Switcher.
type Options struct {
	// HostedZoneID holds the records switched; empty: the switcher only
	// advises (outcome "advised": it probes, decides, records the audit and
	// notifies, and changes nothing).
	HostedZoneID string
	RecordName   string
	// Clock is the time (default time.Now) and Sleep the wait between
	// polls (default a timer); the drill simulates both.
	Clock func() time.Time
	Sleep func(ctx context.Context, d time.Duration)
	// Targets are the record values per region (the regional endpoints).
	Targets map[string]string
	// ProbeURLs are the base URLs probed before switching, per region.
	ProbeURLs   map[string]string
	MinDwell    time.Duration
	StateBucket string
	TopicARN    string
	// SyncTimeout bounds the wait for INSYNC; PollInterval spaces the polls.
	SyncTimeout  time.Duration
	PollInterval time.Duration
	TTL          int64
}

// Checker says whether a region's public URL is healthy enough to serve.
type Checker interface {
	Healthy(ctx context.Context, url string) (bool, string)
}

// Switcher carries decisions out.
type Switcher struct {
	r53   *route53.Client
	s3    *s3.Client
	sns   *sns.Client
	check Checker
	o     Options
	now   func() time.Time
}

// New returns a Switcher.
func New(r53 *route53.Client, s3c *s3.Client, snsc *sns.Client, check Checker, o Options) *Switcher {
	if o.SyncTimeout == 0 {
		o.SyncTimeout = config.DefaultSyncTimeout
	}
	if o.PollInterval == 0 {
		o.PollInterval = 5 * time.Second
	}
	if o.TTL == 0 {
		o.TTL = 60
	}
	now := o.Clock
	if now == nil {
		now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	return &Switcher{r53: r53, s3: s3c, sns: snsc, check: check, o: o, now: now}
}

// Object keys in the state bucket.
const (
	stateKey    = "failover/state.json"
	auditPrefix = "failover/audit/"
)

// Report is one run: the audit entry.
type Report struct {
	Trigger  Trigger  `json:"trigger"`
	Before   State    `json:"before"`
	After    State    `json:"after"`
	Health   string   `json:"targetHealth,omitempty"`
	Decision Decision `json:"decision"`
	Outcome  string   `json:"outcome"` // switched, stayed, refused, dry-run, failed, unconfirmed
	Error    string   `json:"error,omitempty"`
	Started  string   `json:"started"`
	Timings  Timings  `json:"timingsMs"`
}

// Timings of a run's phases, in milliseconds.
type Timings struct {
	Probe float64 `json:"probe,omitempty"`
	DNS   float64 `json:"dns,omitempty"`
	Sync  float64 `json:"sync,omitempty"`
	Total float64 `json:"total"`
}

// ErrUnconfirmed: Route 53 took the change but did not report INSYNC
// within the bounded wait.
var ErrUnconfirmed = errors.New("failover: the change is not INSYNC yet")

// Handle decides on the trigger and acts: a failed switch returns an error
// with the state left as it was.
func (s *Switcher) Handle(ctx context.Context, t Trigger) (Report, error) {
	start := s.now()
	ms := func(since time.Time) float64 { return float64(s.now().Sub(since).Microseconds()) / 1000 }
	st, etag, err := s.state(ctx)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Trigger: t, Before: st, After: st, Started: start.UTC().Format(time.RFC3339Nano)}
	if t.Kind == Reconcile {
		return s.reconcile(ctx, rep)
	}
	healthy := false
	if to := target(t.Kind); to != "" && to != st.Active {
		p := s.now()
		var detail string
		healthy, detail = s.check.Healthy(ctx, s.o.ProbeURLs[to])
		rep.Health, rep.Timings.Probe = detail, ms(p)
	}
	rep.Decision = Decide(st, t, healthy, s.now(), s.o.MinDwell)
	switch {
	case rep.Decision.Action == Stay:
		rep.Outcome = "stayed"
	case rep.Decision.Action == Refuse:
		rep.Outcome = "refused"
	case rep.Decision.DryRun:
		rep.Outcome = "dry-run"
	case s.o.HostedZoneID == "":
		rep.Outcome = "advised"
		rep.Decision.Reason += "; this environment has no hosted zone to switch: the operators are told instead"
	default:
		err = s.switchTo(ctx, &rep, etag, ms)
	}
	rep.Timings.Total = ms(start)
	if t.Kind != Status {
		if aerr := s.audit(ctx, rep); aerr != nil && err == nil {
			err = aerr
		}
		s.notify(ctx, rep)
	}
	return rep, err
}

// switchTo claims the state, changes the records, waits for INSYNC and
// records the new state; on a Route 53 failure it restores the old state.
func (s *Switcher) switchTo(ctx context.Context, rep *Report, etag string, ms func(time.Time) float64) error {
	next := State{Active: rep.Decision.To, Since: s.now().UTC()}
	claimed, err := s.putState(ctx, next, etag)
	if err != nil {
		if cache.IsPreconditionFailed(err) {
			rep.Outcome = "refused"
			rep.Decision = Decision{Action: Refuse, To: next.Active, Reason: "another run changed the state at the same time; it made the switch"}
			return nil
		}
		rep.Outcome, rep.Error = "failed", err.Error()
		return fmt.Errorf("failover: claim state: %w", err)
	}
	d := s.now()
	id, err := s.upsert(ctx, next.Active)
	rep.Timings.DNS = ms(d)
	if err != nil {
		if _, rerr := s.putState(context.WithoutCancel(ctx), rep.Before, claimed); rerr != nil {
			err = errors.Join(err, fmt.Errorf("restore state: %w", rerr))
		}
		rep.Outcome, rep.Error = "failed", err.Error()
		return fmt.Errorf("failover: change records: %w", err)
	}
	rep.After = next
	w := s.now()
	err = s.waitInSync(ctx, id)
	rep.Timings.Sync = ms(w)
	if err != nil {
		rep.Outcome, rep.Error = "unconfirmed", err.Error()
		return err
	}
	rep.Outcome = "switched"
	return nil
}

// reconcile writes the records for the region the state names: a deploy
// after a failover keeps traffic where the switch put it.
func (s *Switcher) reconcile(ctx context.Context, rep Report) (Report, error) {
	rep.Decision = Decision{Action: Stay, To: rep.Before.Active, Reason: "deploy: the records follow the state"}
	if s.o.HostedZoneID == "" {
		rep.Outcome = "stayed"
		return rep, nil
	}
	if _, err := s.upsert(ctx, rep.Before.Active); err != nil {
		rep.Outcome, rep.Error = "failed", err.Error()
		return rep, fmt.Errorf("failover: reconcile records: %w", err)
	}
	rep.Outcome = "reconciled"
	return rep, nil
}

func target(kind string) string {
	switch kind {
	case Alarm, Failover:
		return Standby
	case Failback:
		return Primary
	}
	return ""
}

// upsert points the weighted records at region in one change batch.
func (s *Switcher) upsert(ctx context.Context, region string) (string, error) {
	var changes []r53types.Change
	for _, r := range []string{Primary, Standby} {
		weight := int64(0)
		if r == region {
			weight = 100
		}
		changes = append(changes, r53types.Change{Action: r53types.ChangeActionUpsert, ResourceRecordSet: &r53types.ResourceRecordSet{
			Name: &s.o.RecordName, Type: r53types.RRTypeCname, SetIdentifier: aws.String(r), Weight: aws.Int64(weight),
			TTL: aws.Int64(s.o.TTL), ResourceRecords: []r53types.ResourceRecord{{Value: aws.String(s.o.Targets[r])}},
		}})
	}
	out, err := s.r53.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: &s.o.HostedZoneID,
		ChangeBatch:  &r53types.ChangeBatch{Comment: aws.String("uml-images failover to " + region), Changes: changes},
	})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ChangeInfo.Id), nil
}

func (s *Switcher) waitInSync(ctx context.Context, id string) error {
	ctx, cancel := context.WithTimeout(ctx, s.o.SyncTimeout)
	defer cancel()
	for {
		out, err := s.r53.GetChange(ctx, &route53.GetChangeInput{Id: &id})
		if err == nil && out.ChangeInfo.Status == r53types.ChangeStatusInsync {
			return nil
		}
		s.o.Sleep(ctx, s.o.PollInterval)
		if ctx.Err() != nil {
			return fmt.Errorf("%w after %s (change %s)", ErrUnconfirmed, s.o.SyncTimeout, id)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// Records lists the weighted records' current weights, for status (none
// without a zone).
func (s *Switcher) Records(ctx context.Context) (map[string]int64, error) {
	if s.o.HostedZoneID == "" {
		return nil, nil
	}
	out, err := s.r53.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: &s.o.HostedZoneID, StartRecordName: &s.o.RecordName})
	if err != nil {
		return nil, err
	}
	weights := map[string]int64{}
	for _, rs := range out.ResourceRecordSets {
		if aws.ToString(rs.Name) == s.o.RecordName && rs.SetIdentifier != nil {
			weights[*rs.SetIdentifier] = aws.ToInt64(rs.Weight)
		}
	}
	return weights, nil
}

// state reads the current state and its ETag; none yet: the primary serves.
func (s *Switcher) state(ctx context.Context) (State, string, error) {
	out, err := s.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.o.StateBucket, Key: aws.String(stateKey)})
	if err != nil {
		if cache.IsNotFound(err) {
			return State{Active: Primary}, "", nil
		}
		return State{}, "", fmt.Errorf("failover: read state: %w", err)
	}
	defer out.Body.Close()
	var st State
	body, err := io.ReadAll(out.Body)
	if err == nil {
		err = json.Unmarshal(body, &st)
	}
	if err != nil {
		return State{}, "", fmt.Errorf("failover: read state: %w", err)
	}
	return st, aws.ToString(out.ETag), nil
}

// putState writes the state only if it is still at etag ("" = absent), and
// returns the new ETag.
func (s *Switcher) putState(ctx context.Context, st State, etag string) (string, error) {
	body, _ := json.Marshal(st)
	in := &s3.PutObjectInput{Bucket: &s.o.StateBucket, Key: aws.String(stateKey), Body: bytes.NewReader(body), ContentType: aws.String("application/json")}
	if etag == "" {
		in.IfNoneMatch = aws.String("*")
	} else {
		in.IfMatch = aws.String(etag)
	}
	out, err := s.s3.PutObject(ctx, in)
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ETag), nil
}

func (s *Switcher) audit(ctx context.Context, rep Report) error {
	body, _ := json.MarshalIndent(rep, "", "  ")
	key := auditPrefix + s.now().UTC().Format("20060102T150405.000000000Z") + "-" + rep.Trigger.Kind + ".json"
	_, err := s.s3.PutObject(context.WithoutCancel(ctx), &s3.PutObjectInput{
		Bucket: &s.o.StateBucket, Key: &key, Body: bytes.NewReader(body), ContentType: aws.String("application/json"),
	})
	if err != nil {
		return fmt.Errorf("failover: audit: %w", err)
	}
	return nil
}

// notify tells the operators of every switch, failure and refusal.
func (s *Switcher) notify(ctx context.Context, rep Report) {
	if s.o.TopicARN == "" || rep.Outcome == "stayed" || rep.Outcome == "dry-run" {
		return
	}
	body, _ := json.MarshalIndent(rep, "", "  ")
	subject := fmt.Sprintf("UML Images failover: %s (%s to %s)", rep.Outcome, rep.Before.Active, rep.Decision.To)
	s.sns.Publish(context.WithoutCancel(ctx), &sns.PublishInput{TopicArn: &s.o.TopicARN, Subject: aws.String(subject), Message: aws.String(string(body))})
}
