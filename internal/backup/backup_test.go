package backup_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/umlimages/umlimages/internal/backup"
	"github.com/umlimages/umlimages/internal/testsupport/s3test"
)

type env struct {
	srv    *s3test.Server
	client *s3.Client
	data   string
	vault  string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	srv := s3test.Start(t)
	return &env{srv: srv, client: srv.Client(t), data: srv.Bucket(t, "data"), vault: srv.Bucket(t, "backup")}
}

func (e *env) backup(o backup.Options) *backup.Backup {
	return backup.New(e.client, e.data, e.client, e.vault, o)
}

func (e *env) put(t testing.TB, key string, body []byte) {
	t.Helper()
	if _, err := e.client.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: &e.data, Key: &key, Body: bytes.NewReader(body), ContentType: aws.String("application/json"),
	}); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

func (e *env) del(t testing.TB, bucket, key string) {
	t.Helper()
	if _, err := e.client.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: &bucket, Key: &key}); err != nil {
		t.Fatalf("delete %s: %v", key, err)
	}
}

// snapshot reads every object of a bucket: key -> SHA-256.
func (e *env) snapshot(t testing.TB, bucket string) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	p := s3.NewListObjectsV2Paginator(e.client, &s3.ListObjectsV2Input{Bucket: &bucket})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			obj, err := e.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: o.Key})
			if err != nil {
				t.Fatal(err)
			}
			h := sha256.New()
			io.Copy(h, obj.Body)
			obj.Body.Close()
			out[*o.Key] = hex.EncodeToString(h.Sum(nil))
		}
	}
	return out
}

func (e *env) wipe(t testing.TB, bucket string) {
	t.Helper()
	for key := range e.snapshot(t, bucket) {
		e.del(t, bucket, key)
	}
}

// fill writes n objects of mixed sizes (0 B to 64 KiB, a few of 1 MiB)
// under prefix, in parallel.
func (e *env) fill(t testing.TB, prefix string, n int, seed uint64) {
	t.Helper()
	g := errgroup.Group{}
	g.SetLimit(16)
	for i := range n {
		g.Go(func() error {
			r := rand.New(rand.NewPCG(seed, uint64(i)))
			size := r.IntN(64 << 10)
			switch {
			case i%250 == 0:
				size = 1 << 20
			case i%97 == 0:
				size = 0
			}
			body := make([]byte, size)
			for j := range body {
				body[j] = byte(r.UintN(256))
			}
			key := fmt.Sprintf("%s%05d.json", prefix, i)
			_, err := e.client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: &e.data, Key: &key, Body: bytes.NewReader(body)})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
}

func equal(t *testing.T, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d objects, want %d", len(got), len(want))
	}
	bad := 0
	for k, sum := range want {
		if got[k] != sum {
			if bad++; bad <= 5 {
				t.Errorf("%s: got sha256 %.12s, want %.12s", k, got[k], sum)
			}
		}
	}
	if bad > 5 {
		t.Errorf("... and %d more differ", bad-5)
	}
}

// TestRestoreDrill: full backup of 1,000 objects, then writes, overwrites
// and deletions, an incremental, the source wiped, and a restore to the
// incremental's point in time: byte for byte the source as it was. A
// second restore changes nothing.
func TestRestoreDrill(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.fill(t, "diagrams/", 1000, 1)
	b := e.backup(backup.Options{})
	full, err := b.Run(ctx, backup.Full)
	if err != nil {
		t.Fatal(err)
	}
	if len(full.Objects) != 1000 {
		t.Fatalf("full run copied %d objects, want 1000", len(full.Objects))
	}
	e.fill(t, "diagrams/new-", 100, 2)
	for i := range 50 {
		e.put(t, fmt.Sprintf("diagrams/%05d.json", i*3), []byte(fmt.Sprintf(`{"overwritten":%d}`, i)))
		e.del(t, e.data, fmt.Sprintf("diagrams/%05d.json", i*3+1))
	}
	incr, err := b.Run(ctx, backup.Incremental)
	if err != nil {
		t.Fatal(err)
	}
	if len(incr.Objects) != 150 || len(incr.Deleted) != 50 || incr.Base != full.Run {
		t.Fatalf("incremental: %d copied, %d deleted, base %s; want 150, 50, %s", len(incr.Objects), len(incr.Deleted), incr.Base, full.Run)
	}
	want := e.snapshot(t, e.data)
	if len(want) != 1050 {
		t.Fatalf("source holds %d objects, want 1050 (more than a page of 1,000)", len(want))
	}
	e.wipe(t, e.data)
	rep, err := b.Restore(ctx, incr.Run, e.data, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Restored != 1050 {
		t.Errorf("restored %d, want 1050", rep.Restored)
	}
	equal(t, e.snapshot(t, e.data), want)

	again, err := b.Restore(ctx, incr.Run, e.data, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if again.Restored != 0 || again.Unchanged != 1050 {
		t.Errorf("second restore: %d restored, %d unchanged; want 0, 1050", again.Restored, again.Unchanged)
	}

	// The full run's point in time is still there, under a prefix.
	if _, err := b.Restore(ctx, full.Run, e.data, "as-of-full/", false); err != nil {
		t.Fatal(err)
	}
	got := 0
	for k := range e.snapshot(t, e.data) {
		if len(k) > 11 && k[:11] == "as-of-full/" {
			got++
		}
	}
	if got != 1000 {
		t.Errorf("restore of the full run under a prefix: %d objects, want 1000", got)
	}
}

// TestRPO: an object written just before an incremental run is in it.
func TestRPO(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	b := e.backup(backup.Options{})
	e.put(t, "diagrams/old.json", []byte(`{}`))
	if _, err := b.Run(ctx, backup.Incremental); err != nil { // no full yet: runs full
		t.Fatal(err)
	}
	e.put(t, "diagrams/latest.json", []byte(`{"written":"just now"}`))
	m, err := b.Run(ctx, backup.Incremental)
	if err != nil {
		t.Fatal(err)
	}
	if m.Kind != backup.Incremental || len(m.Objects) != 1 || m.Objects[0].Key != "diagrams/latest.json" {
		t.Fatalf("incremental: %s with %+v", m.Kind, m.Objects)
	}
	runs, err := b.List(ctx, false)
	if err != nil || len(runs) != 2 || runs[0].Kind != backup.Full {
		t.Fatalf("list: %+v, %v", runs, err)
	}
}

func TestVerifyFindsCorruptAndMissing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.fill(t, "diagrams/", 20, 3)
	b := e.backup(backup.Options{})
	m, err := b.Run(ctx, backup.Full)
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := b.Verify(ctx, ""); err != nil || len(rep.Problems) != 0 || rep.Checked != 20 {
		t.Fatalf("clean verify: %+v, %v", rep, err)
	}
	corrupt, missing := m.Objects[3], m.Objects[7]
	if _, err := e.client.PutObject(ctx, &s3.PutObjectInput{Bucket: &e.vault, Key: &corrupt.Location, Body: bytes.NewReader([]byte("bit rot"))}); err != nil {
		t.Fatal(err)
	}
	e.del(t, e.vault, missing.Location)
	rep, err := b.Verify(ctx, m.Run)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	for _, p := range rep.Problems {
		found[p.Key] = p.Reason
	}
	if len(found) != 2 || found[corrupt.Key] != "corrupt" || found[missing.Key] != "missing" {
		t.Errorf("problems: %+v; want %s corrupt and %s missing", rep.Problems, corrupt.Key, missing.Key)
	}
}

// stopAfter stops the S3 server once n objects are copied.
type stopAfter struct {
	n    int64
	done atomic.Int64
	stop func()
}

func (s *stopAfter) Start(string, int, int64) {}
func (s *stopAfter) Done()                    {}
func (s *stopAfter) Add(n int, _ int64) {
	if s.done.Add(int64(n)) == s.n {
		s.stop()
	}
}

// TestServerStopsMidRun: the run fails cleanly, leaves no manifest, and
// the next run does the work; the drill still passes.
func TestServerStopsMidRun(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.fill(t, "diagrams/", 300, 4)
	b := e.backup(backup.Options{})
	first, err := b.Run(ctx, backup.Full)
	if err != nil {
		t.Fatal(err)
	}
	e.fill(t, "diagrams/more-", 200, 5)
	faulty := e.backup(backup.Options{Concurrency: 4, Progress: &stopAfter{n: 50, stop: e.srv.Stop}})
	if _, err := faulty.Run(ctx, backup.Incremental); err == nil {
		t.Fatal("a run with the server stopped midway succeeded")
	}
	e.srv.Restart(t)
	runs, err := b.List(ctx, false)
	if err != nil || len(runs) != 1 || runs[0].Run != first.Run {
		t.Fatalf("after the failed run: %+v, %v; want only %s", runs, err, first.Run)
	}
	next, err := b.Run(ctx, backup.Incremental)
	if err != nil {
		t.Fatal(err)
	}
	if len(next.Objects) != 200 {
		t.Errorf("the next run copied %d, want the 200 the failed run did not record", len(next.Objects))
	}
	want := e.snapshot(t, e.data)
	e.wipe(t, e.data)
	if _, err := b.Restore(ctx, next.Run, e.data, "", false); err != nil {
		t.Fatal(err)
	}
	equal(t, e.snapshot(t, e.data), want)
}

// TestMultipartCopy: objects over the threshold are copied in parts, both
// ways, and verify.
func TestMultipartCopy(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	big := bytes.Repeat([]byte("0123456789abcdef"), (12<<20)/16)
	e.put(t, "renders/big.png", big)
	e.put(t, "renders/small.svg", []byte("<svg/>"))
	b := e.backup(backup.Options{MultipartThreshold: 6 << 20, PartSize: 5 << 20, Prefixes: []string{"renders/"}})
	m, err := b.Run(ctx, backup.Full)
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := b.Verify(ctx, m.Run); err != nil || len(rep.Problems) != 0 {
		t.Fatalf("verify: %+v, %v", rep, err)
	}
	want := e.snapshot(t, e.data)
	e.wipe(t, e.data)
	if _, err := b.Restore(ctx, m.Run, e.data, "", false); err != nil {
		t.Fatal(err)
	}
	equal(t, e.snapshot(t, e.data), want)
}

// TestRestoreKeepsNewer: a restore never replaces an object written after
// the backup unless told to.
func TestRestoreKeepsNewer(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.put(t, "diagrams/a.json", []byte(`{"v":1}`))
	b := e.backup(backup.Options{})
	m, err := b.Run(ctx, backup.Full)
	if err != nil {
		t.Fatal(err)
	}
	e.put(t, "diagrams/a.json", []byte(`{"v":2}`))
	rep, err := b.Restore(ctx, m.Run, e.data, "", false)
	if err != nil || len(rep.KeptNewer) != 1 || rep.Restored != 0 {
		t.Fatalf("restore: %+v, %v; want the newer object kept", rep, err)
	}
	rep, err = b.Restore(ctx, m.Run, e.data, "", true)
	if err != nil || rep.Restored != 1 {
		t.Fatalf("restore with overwrite: %+v, %v", rep, err)
	}
	if got := e.snapshot(t, e.data)["diagrams/a.json"]; got != sha([]byte(`{"v":1}`)) {
		t.Error("overwrite did not bring back the backed-up version")
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// BenchmarkFullRun: a full run of 10,000 small objects on loopback.
func BenchmarkFullRun(b *testing.B) {
	e := newEnv(b)
	e.fill(b, "diagrams/", 10000, 9)
	bk := e.backup(backup.Options{})
	var objects, bytes int64
	b.ResetTimer()
	for b.Loop() {
		m, err := bk.Run(context.Background(), backup.Full)
		if err != nil {
			b.Fatal(err)
		}
		objects += int64(len(m.Objects))
		bytes += m.Bytes
	}
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(objects)/secs, "objects/s")
	b.ReportMetric(float64(bytes)/secs/1e6, "MB/s")
}
