package backup_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/umlimages/umlimages/internal/backup"
)

// front is a proxy in front of versitygw: it counts requests, and hook
// may answer one itself (true) instead of passing it on.
type front struct {
	*httptest.Server
	requests atomic.Int64
	hook     func(w http.ResponseWriter, r *http.Request) bool
}

func newFront(t *testing.T, e *env, hook func(w http.ResponseWriter, r *http.Request) bool) (*front, *s3.Client) {
	t.Helper()
	target, _ := url.Parse(e.srv.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	f := &front{hook: hook}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.requests.Add(1)
		if f.hook != nil && f.hook(w, r) {
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(f.Close)
	client := s3.NewFromConfig(e.srv.Config(t), func(o *s3.Options) {
		o.BaseEndpoint = aws.String(f.URL)
		o.UsePathStyle = true
	})
	return f, client
}

// TestRunCostDoesNotGrowWithHistory: with nothing changed, the incremental
// after a full and 100 incrementals makes as many S3 requests as the
// second (it reads the index, not the manifests); the backup age too, and
// list pages names (one page here).
func TestRunCostDoesNotGrowWithHistory(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.fill(t, "diagrams/", 50, 11)
	f, client := newFront(t, e, nil)
	b := backup.New(client, e.data, client, e.vault, backup.Options{})
	if _, err := b.Run(ctx, backup.Full); err != nil {
		t.Fatal(err)
	}
	cost := func(what string, fn func() error) int64 {
		before := f.requests.Load()
		if err := fn(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return f.requests.Load() - before
	}
	incremental := func() error { _, err := b.Run(ctx, backup.Incremental); return err }
	age := func() error { _, _, err := b.NewestAge(ctx); return err }
	list := func() error { _, err := b.List(ctx, false); return err }
	counts := map[int][3]int64{}
	for run := 1; run <= 101; run++ {
		n := cost("incremental", incremental)
		if run == 2 || run == 11 || run == 101 {
			counts[run] = [3]int64{n, cost("age", age), cost("list", list)}
		}
	}
	t.Logf("S3 requests (incremental, age, list) after a full and 1, 10, 100 incrementals: %v %v %v", counts[2], counts[11], counts[101])
	for _, run := range []int{11, 101} {
		if counts[run] != counts[2] {
			t.Errorf("incremental %d: %v requests, the second: %v", run, counts[run], counts[2])
		}
	}
}

// glacier stands in front of versitygw for S3's archive classes: every
// copy under runs/ is archived. A GET or a copy from it answers
// InvalidObjectState the way S3 does; a HEAD shows the storage class and,
// once thawed, x-amz-restore; RestoreObject starts a thaw, which finish()
// completes.
type glacier struct {
	mu       sync.Mutex
	thawing  map[string]bool
	thawed   map[string]bool
	restores int
}

func (g *glacier) finish() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for k := range g.thawing {
		g.thawed[k] = true
	}
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
const invalidObjectState = `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>InvalidObjectState</Code><Message>The operation is not valid for the object's storage class</Message><StorageClass>GLACIER</StorageClass><RequestId>GLACIERSTANDIN</RequestId><HostId>standin</HostId></Error>`

func (g *glacier) hook(vault string) func(w http.ResponseWriter, r *http.Request) bool {
	return func(w http.ResponseWriter, r *http.Request) bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		if source := r.Header.Get("X-Amz-Copy-Source"); source != "" {
			src, _ := url.PathUnescape(source)
			key, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(src, "/"), vault+"/"), "?")
			if !strings.HasPrefix(src, vault+"/runs/") && !strings.HasPrefix(src, "/"+vault+"/runs/") || g.thawed[key] {
				return false
			}
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, invalidObjectState)
			return true
		}
		if !strings.HasPrefix(r.URL.Path, "/"+vault+"/runs/") {
			return false
		}
		key := strings.TrimPrefix(r.URL.Path, "/"+vault+"/")
		switch {
		case r.Method == http.MethodPost && r.URL.Query().Has("restore"):
			g.restores++
			if g.thawing[key] && !g.thawed[key] {
				w.WriteHeader(http.StatusConflict)
				fmt.Fprint(w, `<Error><Code>RestoreAlreadyInProgress</Code><Message>Object restore is already in progress</Message></Error>`)
				return true
			}
			g.thawing[key] = true
			w.WriteHeader(http.StatusAccepted)
			return true
		case g.thawed[key]:
			if r.Method == http.MethodHead {
				w.Header().Set("X-Amz-Restore", fmt.Sprintf(`ongoing-request="false", expiry-date="%s"`, time.Now().Add(7*24*time.Hour).UTC().Format(http.TimeFormat)))
				w.Header().Set("X-Amz-Storage-Class", "GLACIER")
			}
			return false
		case r.Method == http.MethodHead:
			w.Header().Set("X-Amz-Storage-Class", "GLACIER")
			if g.thawing[key] {
				w.Header().Set("X-Amz-Restore", `ongoing-request="true"`)
			}
			return false
		case r.Method == http.MethodGet:
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, invalidObjectState)
			return true
		}
		return false
	}
}

// TestArchivedBackups: with every copy in the archive class (day 31 on),
// an incremental run, list and verify work; a restore asks for thaws and
// says when to come back instead of failing, and once thawed restores
// byte for byte.
func TestArchivedBackups(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.fill(t, "diagrams/", 40, 12)
	if _, err := e.backup(backup.Options{}).Run(ctx, backup.Full); err != nil {
		t.Fatal(err)
	}
	g := &glacier{thawing: map[string]bool{}, thawed: map[string]bool{}}
	_, client := newFront(t, e, g.hook(e.vault))
	b := backup.New(client, e.data, client, e.vault, backup.Options{ThawTier: "Bulk"})
	e.put(t, "diagrams/new.json", []byte(`{"after":"archive"}`))
	if m, err := b.Run(ctx, backup.Incremental); err != nil || len(m.Objects) != 1 {
		t.Fatalf("incremental over an archive: %+v, %v", m, err)
	}
	if runs, err := b.List(ctx, true); err != nil || len(runs) != 2 {
		t.Fatalf("list: %+v, %v", runs, err)
	}
	if _, ok, err := b.NewestAge(ctx); err != nil || !ok {
		t.Fatalf("age: %v, %v", ok, err)
	}
	v, err := b.Verify(ctx, "")
	if err != nil || v.Archived != 41 || len(v.Problems) != 0 {
		t.Fatalf("verify over an archive: %+v, %v", v, err)
	}
	want := e.snapshot(t, e.data)
	e.wipe(t, e.data)
	rep, err := b.Restore(ctx, "", e.data, "", false)
	if err != nil || rep.Thawing != 41 || rep.Restored != 0 || !strings.Contains(rep.ThawHint, "Bulk tier") {
		t.Fatalf("restore from the archive: %+v, %v", rep, err)
	}
	if again, err := b.Restore(ctx, "", e.data, "", false); err != nil || again.Thawing != 41 {
		t.Fatalf("restore while thawing: %+v, %v", again, err)
	}
	g.finish()
	rep, err = b.Restore(ctx, "", e.data, "", false)
	if err != nil || rep.Restored != 41 || rep.Thawing != 0 {
		t.Fatalf("restore once thawed: %+v, %v", rep, err)
	}
	equal(t, e.snapshot(t, e.data), want)
}

// TestVerifyNamesEveryDamagedObject: bytes rotted on the server's disk
// (under its feet, not through the API) and a copy gone are each named;
// verify does not stop at the first.
func TestVerifyNamesEveryDamagedObject(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.fill(t, "diagrams/", 30, 13)
	b := e.backup(backup.Options{})
	m, err := b.Run(ctx, backup.Full)
	if err != nil {
		t.Fatal(err)
	}
	var rotted []string
	for _, o := range m.Objects {
		if o.Size > 100 && len(rotted) < 3 {
			path := e.srv.Path(e.vault, o.Location)
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			raw[len(raw)/2] ^= 0xff
			if err := os.WriteFile(path, raw, 0o644); err != nil {
				t.Fatal(err)
			}
			rotted = append(rotted, o.Key)
		}
	}
	gone := m.Objects[len(m.Objects)-1]
	e.del(t, e.vault, gone.Location)
	rep, err := b.Verify(ctx, "")
	if err != nil {
		t.Fatalf("verify stopped: %v", err)
	}
	named := map[string]string{}
	for _, p := range rep.Problems {
		named[p.Key] = p.Reason
	}
	for _, k := range rotted {
		if r := named[k]; r != "corrupt" && !strings.HasPrefix(r, "unreadable") {
			t.Errorf("%s rotted on disk, reported %q", k, r)
		}
	}
	if named[gone.Key] != "missing" || len(rep.Problems) != len(rotted)+1 || rep.Checked != 30 {
		t.Errorf("report: %+v", rep)
	}
}

// TestBackupsAreLocked: in a bucket with Object Lock, every copy and
// manifest a run writes is under retention: deleting one of its versions
// is refused.
func TestBackupsAreLocked(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	locked := "locked-backup"
	if _, err := e.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &locked, ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	e.fill(t, "diagrams/", 5, 14)
	b := backup.New(e.client, e.data, e.client, locked, backup.Options{Retention: time.Hour})
	m, err := b.Run(ctx, backup.Full)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{m.Objects[0].Location, "manifests/" + m.Run + ".json"} {
		head, err := e.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &locked, Key: &key})
		if err != nil {
			t.Fatal(err)
		}
		if head.ObjectLockMode != "GOVERNANCE" || head.ObjectLockRetainUntilDate == nil || head.ObjectLockRetainUntilDate.Before(time.Now().Add(50*time.Minute)) {
			t.Errorf("%s: lock %q until %v", key, head.ObjectLockMode, head.ObjectLockRetainUntilDate)
		}
		if _, err := e.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &locked, Key: &key, VersionId: head.VersionId}); err == nil {
			t.Errorf("%s: a locked backup version was deleted", key)
		}
	}
}

// slow makes every copy take a while, so a run meets its deadline.
type slow struct{ d time.Duration }

func (slow) Start(string, int, int64) {}
func (slow) Done()                    {}
func (s slow) Add(int, int64)         { time.Sleep(s.d) }

// TestFullRunContinues: a full run that meets its deadline writes a
// checkpoint instead of a manifest; the next invocation (an incremental
// one, as the schedule sends) finishes the same run without copying again
// what was copied, and writes one manifest; the restore is byte for byte.
func TestFullRunContinues(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.fill(t, "diagrams/", 200, 15)
	f, client := newFront(t, e, nil)
	margin := time.Second
	b := backup.New(client, e.data, client, e.vault, backup.Options{Concurrency: 2, Margin: margin, Progress: slow{20 * time.Millisecond}})
	dctx, cancel := context.WithTimeout(ctx, margin+300*time.Millisecond)
	first, err := b.Run(dctx, backup.Full)
	cancel()
	if err != nil || !first.Continues || len(first.Objects) == 0 || len(first.Objects) >= 200 {
		t.Fatalf("the first invocation: continues=%v after %d objects, %v", first.Continues, len(first.Objects), err)
	}
	if runs, _ := b.List(ctx, false); len(runs) != 0 {
		t.Fatalf("a manifest before the run finished: %+v", runs)
	}
	copies := func() int64 { return f.requests.Load() }
	before := copies()
	rest, err := backup.New(client, e.data, client, e.vault, backup.Options{}).Run(ctx, backup.Incremental)
	if err != nil || rest.Continues || rest.Kind != backup.Full || rest.Run != first.Run || len(rest.Objects) != 200 {
		t.Fatalf("the next invocation: %s %s continues=%v with %d objects, %v", rest.Run, rest.Kind, rest.Continues, len(rest.Objects), err)
	}
	if n := copies() - before; n > int64(200-len(first.Objects))+10 {
		t.Errorf("finishing took %d requests for %d objects left: copies were redone", n, 200-len(first.Objects))
	}
	if runs, _ := b.List(ctx, false); len(runs) != 1 || runs[0].Run != first.Run {
		t.Errorf("manifests: %+v, want the one run", runs)
	}
	t.Logf("first invocation: %d objects before its deadline; the next: the other %d", len(first.Objects), 200-len(first.Objects))
	want := e.snapshot(t, e.data)
	e.wipe(t, e.data)
	if _, err := b.Restore(ctx, "", e.data, "", false); err != nil {
		t.Fatal(err)
	}
	equal(t, e.snapshot(t, e.data), want)
	if next, err := b.Run(ctx, backup.Incremental); err != nil || next.Kind != backup.Incremental || next.Continues {
		t.Errorf("the run after: %+v, %v", next, err)
	}
}

// TestRegionsShareTheBackupBucket: each region backs its own data bucket
// up into the one backup bucket, under its namespace; neither sees or
// disturbs the other's runs, and each restores its own.
func TestRegionsShareTheBackupBucket(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	other := e.srv.Bucket(t, "standby-data")
	e.fill(t, "diagrams/", 10, 17)
	e.put(t, "failover/state.json", []byte(`{"active":"primary"}`))
	primary := backup.New(e.client, e.data, e.client, e.vault, backup.Options{Namespace: "primary"})
	standby := backup.New(e.client, other, e.client, e.vault, backup.Options{Namespace: "standby"})
	if _, err := primary.Run(ctx, backup.Full); err != nil {
		t.Fatal(err)
	}
	key := "diagrams/after-failover.json"
	if _, err := e.client.PutObject(ctx, &s3.PutObjectInput{Bucket: &other, Key: &key, Body: strings.NewReader(`{"saved":"in the standby"}`)}); err != nil {
		t.Fatal(err)
	}
	m, err := standby.Run(ctx, backup.Incremental)
	if err != nil || m.Kind != backup.Full || len(m.Objects) != 1 {
		t.Fatalf("the standby's first run: %+v, %v", m, err)
	}
	for name, b := range map[string]*backup.Backup{"primary": primary, "standby": standby} {
		if runs, err := b.List(ctx, false); err != nil || len(runs) != 1 {
			t.Errorf("%s runs: %+v, %v", name, runs, err)
		}
	}
	st, _, err := primary.State(ctx, "")
	if err != nil || len(st) != 11 {
		t.Errorf("the primary's point in time: %d objects (diagrams and the failover state), %v", len(st), err)
	}
}
