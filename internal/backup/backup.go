package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"

	"github.com/umlimages/umlimages/internal/cache"
)

// Defaults.
const (
	DefaultConcurrency = 16
	// MaxCopyObject is the largest object one CopyObject may copy (5 GB);
	// larger ones are copied in parts.
	MaxCopyObject = 5 << 30
	// DefaultPartSize is the part size of multipart copies.
	DefaultPartSize = 512 << 20
	// DefaultThawTier is the retrieval tier of a restore from the
	// archive class; DefaultThawDays how long the thawed copy stays.
	DefaultThawTier = types.TierStandard
	DefaultThawDays = 7
)

// DefaultPrefixes are what is backed up: saved diagrams, the user data,
// and the failover's state and audit. Renders are left out: they are
// derived from a diagram and the renderer version, and a miss renders
// them again.
var DefaultPrefixes = []string{"diagrams/", "failover/"}

// Progress hears of work as it is done.
type Progress interface {
	Start(what string, objects int, bytes int64)
	Add(objects int, bytes int64)
	Done()
}

type noProgress struct{}

func (noProgress) Start(string, int, int64) {}
func (noProgress) Add(int, int64)           {}
func (noProgress) Done()                    {}

// Options configure a Backup.
type Options struct {
	Concurrency int
	// MultipartThreshold: objects larger than this are copied in parts of
	// PartSize (defaults: MaxCopyObject, DefaultPartSize).
	MultipartThreshold int64
	PartSize           int64
	Progress           Progress
	// Prefixes of the source that are backed up (default DefaultPrefixes).
	Prefixes []string
	// Namespace keeps this source's backups apart from another's in the
	// same backup bucket (each region backs up its own data bucket).
	Namespace string
	// Retention locks every copy and manifest for this long (S3 Object
	// Lock, in LockMode: GOVERNANCE or COMPLIANCE); 0: no lock.
	Retention time.Duration
	LockMode  types.ObjectLockMode
	// ThawTier and ThawDays are a restore's request to bring archived
	// copies back (defaults DefaultThawTier, DefaultThawDays).
	ThawTier types.Tier
	ThawDays int32
	// Margin is the time a run keeps before its context's deadline (the
	// function's timeout): it starts no copy within it, writes a
	// checkpoint and leaves the rest to the next invocation (default
	// DefaultMargin).
	Margin time.Duration
}

// DefaultMargin leaves a run time to finish its copies in flight and to
// write its checkpoint before the Lambda deadline.
const DefaultMargin = 90 * time.Second

// Backup backs the source bucket up into the backup bucket. The two
// clients may be in different regions: src is the source's region (reads,
// restores), dst the backup bucket's (copies, manifests).
type Backup struct {
	src, dst             *s3.Client
	srcBucket, dstBucket string
	o                    Options
	keys                 layout
	now                  func() time.Time
}

// New returns a Backup.
func New(src *s3.Client, srcBucket string, dst *s3.Client, dstBucket string, o Options) *Backup {
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.MultipartThreshold <= 0 {
		o.MultipartThreshold = MaxCopyObject
	}
	if o.PartSize <= 0 {
		o.PartSize = DefaultPartSize
	}
	if o.Progress == nil {
		o.Progress = noProgress{}
	}
	if len(o.Prefixes) == 0 {
		o.Prefixes = DefaultPrefixes
	}
	if o.LockMode == "" {
		o.LockMode = types.ObjectLockModeGovernance
	}
	if o.ThawTier == "" {
		o.ThawTier = DefaultThawTier
	}
	if o.ThawDays == 0 {
		o.ThawDays = DefaultThawDays
	}
	if o.Margin == 0 {
		o.Margin = DefaultMargin
	}
	return &Backup{src: src, dst: dst, srcBucket: srcBucket, dstBucket: dstBucket, o: o, keys: newLayout(o.Namespace), now: time.Now}
}

// Run backs up: a full run copies every object; an incremental run copies
// what is new or changed since the last run and records deletions (with no
// full run yet, it runs full). The manifest is written last, then the
// index: a run reads the index, one object, never the history, so its cost
// grows with what changed.
//
// A run that reaches its deadline's margin stops starting copies, records
// what it copied in a checkpoint and returns with Continues set; the next
// run, of whatever kind, takes the same run up where it stopped (its
// listing again, its copies never again) and writes the one manifest.
func (b *Backup) Run(ctx context.Context, kind Kind) (Manifest, error) {
	started := b.now().UTC()
	prev := State{}
	base := ""
	cp, resume, err := b.checkpoint(ctx)
	if err != nil {
		return Manifest{}, err
	}
	if resume {
		kind = cp.Kind
	}
	if kind == Incremental {
		idx, ok, err := b.index(ctx)
		switch {
		case err != nil:
			return Manifest{}, err
		case ok:
			prev, base = idx.State, idx.Run
		default:
			kind = Full
		}
	}
	m := Manifest{Run: runID(started, kind), Kind: kind, Base: base, Source: b.srcBucket, Started: started}
	done := map[string]Entry{}
	if resume {
		m = cp
		for _, e := range cp.Objects {
			done[e.Key] = e
		}
		m.Objects, m.Bytes = nil, 0
	}
	listed, err := b.list(ctx)
	if err != nil {
		return Manifest{}, err
	}
	var todo []types.Object
	var todoBytes int64
	var carried []*Entry
	for _, o := range listed {
		key := aws.ToString(o.Key)
		if e, ok := done[key]; ok && e.ETag == aws.ToString(o.ETag) {
			carried = append(carried, &e)
			continue
		}
		old, ok := prev[key]
		if kind == Full || !ok || old.ETag != aws.ToString(o.ETag) || old.Size != aws.ToInt64(o.Size) {
			todo = append(todo, o)
			todoBytes += aws.ToInt64(o.Size)
		}
	}
	b.o.Progress.Start("copy "+m.Run, len(todo), todoBytes)
	defer b.o.Progress.Done()
	entries := make([]*Entry, len(todo))
	launched := make([]bool, len(todo))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(b.o.Concurrency)
	stopped := false
	margin := b.margin(ctx)
	for i, o := range todo {
		if i > 0 && b.nearDeadline(ctx, margin) {
			stopped = true
			break
		}
		launched[i] = true
		g.Go(func() error {
			e, err := b.backupObject(gctx, m.Run, o)
			if err != nil {
				return err
			}
			entries[i] = e
			if e != nil {
				b.o.Progress.Add(1, e.Size)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return Manifest{}, fmt.Errorf("backup %s: %w", m.Run, err)
	}
	if stopped {
		for i, e := range entries {
			if launched[i] && e != nil {
				carried = append(carried, e)
			}
		}
		for _, e := range carried {
			m.Objects = append(m.Objects, *e)
			m.Bytes += e.Size
		}
		if err := b.putCheckpoint(ctx, m); err != nil {
			return Manifest{}, fmt.Errorf("backup %s: write checkpoint: %w", m.Run, err)
		}
		m.Continues = true
		return m, nil
	}
	todo = append(todo, make([]types.Object, len(carried))...)
	for i, e := range carried {
		entries = append(entries, e)
		todo[len(todo)-len(carried)+i] = types.Object{Key: aws.String(e.Key)}
	}
	gone := map[string]bool{} // deleted between the listing and the copy
	for i, e := range entries {
		if e == nil {
			gone[aws.ToString(todo[i].Key)] = true
			continue
		}
		m.Objects = append(m.Objects, *e)
		m.Bytes += e.Size
	}
	if kind == Incremental {
		present := map[string]bool{}
		for _, o := range listed {
			if k := aws.ToString(o.Key); !gone[k] {
				present[k] = true
			}
		}
		for key := range prev {
			if !present[key] {
				m.Deleted = append(m.Deleted, key)
			}
		}
		sort.Strings(m.Deleted)
	}
	m.Finished = b.now().UTC()
	if err := b.putManifest(ctx, m); err != nil {
		return Manifest{}, fmt.Errorf("backup %s: write manifest: %w", m.Run, err)
	}
	if resume {
		if err := b.putCheckpoint(ctx, Manifest{}); err != nil {
			return Manifest{}, fmt.Errorf("backup %s: close checkpoint: %w", m.Run, err)
		}
	}
	next := prev
	if kind == Full {
		next = State{}
	}
	if err := b.putIndex(ctx, Index{Run: m.Run, Finished: m.Finished, State: compose([]Manifest{{Kind: Incremental, Objects: m.Objects, Deleted: m.Deleted}}, next)}); err != nil {
		return Manifest{}, fmt.Errorf("backup %s: write index: %w", m.Run, err)
	}
	return m, nil
}

// list lists the source bucket's backed-up prefixes, every page.
func (b *Backup) list(ctx context.Context) ([]types.Object, error) {
	var out []types.Object
	for _, prefix := range b.o.Prefixes {
		p := s3.NewListObjectsV2Paginator(b.src, &s3.ListObjectsV2Input{Bucket: &b.srcBucket, Prefix: aws.String(prefix)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("list %s/%s: %w", b.srcBucket, prefix, err)
			}
			out = append(out, page.Contents...)
		}
	}
	return out, nil
}

// lock is the Object Lock of what a run writes (none without Retention).
func (b *Backup) lock() (types.ObjectLockMode, *time.Time) {
	if b.o.Retention <= 0 {
		return "", nil
	}
	until := b.now().Add(b.o.Retention).UTC()
	return b.o.LockMode, &until
}

// backupObject copies one listed object into the run's prefix; nil when it
// was deleted since the listing. If it changed since, the new content is
// copied and recorded.
func (b *Backup) backupObject(ctx context.Context, run string, o types.Object) (*Entry, error) {
	key := aws.ToString(o.Key)
	e := &Entry{Key: key, Size: aws.ToInt64(o.Size), ETag: aws.ToString(o.ETag), LastModified: aws.ToTime(o.LastModified).UTC(), Location: b.keys.runs + run + "/" + key}
	for attempt := 0; ; attempt++ {
		sum, version, err := b.copy(ctx, b.dst, b.srcBucket, key, e.ETag, e.Size, b.dstBucket, e.Location)
		if err == nil {
			e.SHA256, e.VersionID = sum, version
			return e, nil
		}
		if cache.IsNotFound(err) {
			return nil, nil
		}
		if !cache.IsPreconditionFailed(err) || attempt == 2 {
			return nil, fmt.Errorf("copy %s: %w", key, err)
		}
		// Changed since the listing: back up what is there now.
		head, err := b.src.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b.srcBucket, Key: &key})
		if err != nil {
			if cache.IsNotFound(err) {
				return nil, nil
			}
			return nil, fmt.Errorf("head %s: %w", key, err)
		}
		e.Size, e.ETag, e.LastModified = aws.ToInt64(head.ContentLength), aws.ToString(head.ETag), aws.ToTime(head.LastModified).UTC()
	}
}

// copy copies srcBucket/srcKey (as long as its ETag is still etag) to
// dstBucket/dstKey through client, server-side, and returns the content's
// SHA-256 (hex) and the source's version id.
func (b *Backup) copy(ctx context.Context, client *s3.Client, srcBucket, srcKey, etag string, size int64, dstBucket, dstKey string) (string, string, error) {
	source := copySource(srcBucket, srcKey)
	if size > b.o.MultipartThreshold {
		return b.copyParts(ctx, client, srcBucket, srcKey, etag, size, dstBucket, dstKey)
	}
	in := &s3.CopyObjectInput{
		Bucket:            &dstBucket,
		Key:               &dstKey,
		CopySource:        &source,
		CopySourceIfMatch: &etag,
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
	}
	if dstBucket == b.dstBucket {
		in.ObjectLockMode, in.ObjectLockRetainUntilDate = b.lock()
	}
	out, err := client.CopyObject(ctx, in)
	if err != nil {
		return "", "", err
	}
	version := aws.ToString(out.CopySourceVersionId)
	if out.CopyObjectResult != nil && out.CopyObjectResult.ChecksumSHA256 != nil {
		if raw, err := base64.StdEncoding.DecodeString(*out.CopyObjectResult.ChecksumSHA256); err == nil && len(raw) == sha256.Size {
			return hex.EncodeToString(raw), version, nil
		}
	}
	sum, err := b.hash(ctx, client, dstBucket, dstKey)
	return sum, version, err
}

// copyParts copies a large object with UploadPartCopy, then hashes the
// copy (S3 gives no whole-object SHA-256 for parts).
func (b *Backup) copyParts(ctx context.Context, client *s3.Client, srcBucket, srcKey, etag string, size int64, dstBucket, dstKey string) (string, string, error) {
	source := copySource(srcBucket, srcKey)
	create := &s3.CreateMultipartUploadInput{Bucket: &dstBucket, Key: &dstKey}
	if dstBucket == b.dstBucket {
		create.ObjectLockMode, create.ObjectLockRetainUntilDate = b.lock()
	}
	up, err := client.CreateMultipartUpload(ctx, create)
	if err != nil {
		return "", "", err
	}
	abort := func() {
		client.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{Bucket: &dstBucket, Key: &dstKey, UploadId: up.UploadId})
	}
	var parts []types.CompletedPart
	var version string
	for n, off := int32(1), int64(0); off < size; n, off = n+1, off+b.o.PartSize {
		end := min(off+b.o.PartSize, size) - 1
		out, err := client.UploadPartCopy(ctx, &s3.UploadPartCopyInput{
			Bucket: &dstBucket, Key: &dstKey, UploadId: up.UploadId, PartNumber: aws.Int32(n),
			CopySource: &source, CopySourceIfMatch: &etag, CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", off, end)),
		})
		if err != nil {
			abort()
			return "", "", err
		}
		version = aws.ToString(out.CopySourceVersionId)
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.CopyPartResult.ETag})
	}
	if _, err := client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &dstBucket, Key: &dstKey, UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	}); err != nil {
		abort()
		return "", "", err
	}
	sum, err := b.hash(ctx, client, dstBucket, dstKey)
	return sum, version, err
}

// hash reads an object and returns its SHA-256, hex.
func (b *Backup) hash(ctx context.Context, client *s3.Client, bucket, key string) (string, error) {
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return "", err
	}
	defer out.Body.Close()
	h := sha256.New()
	if _, err := io.Copy(h, out.Body); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// copySource is the x-amz-copy-source value: bucket/key, URL-encoded.
func copySource(bucket, key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return bucket + "/" + strings.Join(segs, "/")
}

func (b *Backup) putManifest(ctx context.Context, m Manifest) error {
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	key := b.keys.manifestKey(m.Run)
	in := &s3.PutObjectInput{
		Bucket: &b.dstBucket, Key: &key, Body: bytes.NewReader(body),
		ContentType: aws.String("application/json"), IfNoneMatch: aws.String("*"),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
	}
	in.ObjectLockMode, in.ObjectLockRetainUntilDate = b.lock()
	_, err = b.dst.PutObject(ctx, in)
	return err
}

// margin is the time kept before the deadline: Margin, or a quarter of
// the time this invocation has, whichever is less (a short invocation
// still makes progress; every invocation copies at least one object).
func (b *Backup) margin(ctx context.Context) time.Duration {
	d, ok := ctx.Deadline()
	if !ok {
		return 0
	}
	return min(b.o.Margin, time.Until(d)/4)
}

// nearDeadline: the context's deadline is within margin.
func (b *Backup) nearDeadline(ctx context.Context, margin time.Duration) bool {
	d, ok := ctx.Deadline()
	return ok && time.Until(d) < margin
}

// checkpoint reads the run left unfinished, if any (an empty checkpoint is
// a closed one: the backup role may not delete).
func (b *Backup) checkpoint(ctx context.Context) (Manifest, bool, error) {
	out, err := b.dst.GetObject(ctx, &s3.GetObjectInput{Bucket: &b.dstBucket, Key: aws.String(b.keys.checkpoint)})
	if cache.IsNotFound(err) {
		return Manifest{}, false, nil
	}
	if err != nil {
		return Manifest{}, false, fmt.Errorf("read checkpoint: %w", err)
	}
	defer out.Body.Close()
	var m Manifest
	if err := json.NewDecoder(out.Body).Decode(&m); err != nil {
		return Manifest{}, false, fmt.Errorf("read checkpoint: %w", err)
	}
	return m, m.Run != "", nil
}

func (b *Backup) putCheckpoint(ctx context.Context, m Manifest) error {
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_, err = b.dst.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &b.dstBucket, Key: aws.String(b.keys.checkpoint), Body: bytes.NewReader(body),
		ContentType: aws.String("application/json"), ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
	})
	return err
}

// Index is the newest point in time: what an incremental run compares the
// source with. It is derived (the manifests make it again), so it is not
// locked, and it is rewritten by every run.
type Index struct {
	Run      string    `json:"run"`
	Finished time.Time `json:"finished"`
	State    State     `json:"state"`
}

func (b *Backup) index(ctx context.Context) (Index, bool, error) {
	out, err := b.dst.GetObject(ctx, &s3.GetObjectInput{Bucket: &b.dstBucket, Key: aws.String(b.keys.index)})
	if cache.IsNotFound(err) {
		return Index{}, false, nil
	}
	if err != nil {
		return Index{}, false, fmt.Errorf("read index: %w", err)
	}
	defer out.Body.Close()
	var idx Index
	if err := json.NewDecoder(out.Body).Decode(&idx); err != nil {
		return Index{}, false, fmt.Errorf("read index: %w", err)
	}
	return idx, true, nil
}

func (b *Backup) putIndex(ctx context.Context, idx Index) error {
	body, err := json.Marshal(idx)
	if err != nil {
		return err
	}
	_, err = b.dst.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &b.dstBucket, Key: aws.String(b.keys.index), Body: bytes.NewReader(body),
		ContentType: aws.String("application/json"), ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
	})
	return err
}

// manifests reads every manifest, sorted by run.
func (b *Backup) manifests(ctx context.Context) ([]Manifest, error) {
	var keys []string
	p := s3.NewListObjectsV2Paginator(b.dst, &s3.ListObjectsV2Input{Bucket: &b.dstBucket, Prefix: aws.String(b.keys.manifests)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list manifests: %w", err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	sort.Strings(keys)
	ms := make([]Manifest, len(keys))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(b.o.Concurrency)
	for i, key := range keys {
		g.Go(func() error {
			out, err := b.dst.GetObject(gctx, &s3.GetObjectInput{Bucket: &b.dstBucket, Key: &key})
			if err != nil {
				return fmt.Errorf("read manifest %s: %w", b.keys.runFromManifestKey(key), err)
			}
			defer out.Body.Close()
			if err := json.NewDecoder(out.Body).Decode(&ms[i]); err != nil {
				return fmt.Errorf("read manifest %s: %w", b.keys.runFromManifestKey(key), err)
			}
			return nil
		})
	}
	return ms, g.Wait()
}

// Summary describes one run, for list.
type Summary struct {
	Run      string    `json:"run"`
	Kind     Kind      `json:"kind"`
	Finished time.Time `json:"finished"`
	Objects  int       `json:"objects"`
	Bytes    int64     `json:"bytes"`
	Deleted  int       `json:"deleted"`
}

// List summarises every completed run, oldest first, from the manifests'
// names alone (a page of keys per thousand runs); with details it reads
// each manifest for its counts too.
func (b *Backup) List(ctx context.Context, details bool) ([]Summary, error) {
	var out []Summary
	p := s3.NewListObjectsV2Paginator(b.dst, &s3.ListObjectsV2Input{Bucket: &b.dstBucket, Prefix: aws.String(b.keys.manifests)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list manifests: %w", err)
		}
		for _, o := range page.Contents {
			run := b.keys.runFromManifestKey(aws.ToString(o.Key))
			out = append(out, Summary{Run: run, Kind: kindOf(run), Finished: aws.ToTime(o.LastModified).UTC()})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Run < out[j].Run })
	if !details {
		return out, nil
	}
	ms, err := b.manifests(ctx)
	if err != nil {
		return nil, err
	}
	out = make([]Summary, len(ms))
	for i, m := range ms {
		out[i] = Summary{Run: m.Run, Kind: m.Kind, Finished: m.Finished, Objects: len(m.Objects), Bytes: m.Bytes, Deleted: len(m.Deleted)}
	}
	return out, nil
}

// NewestAge is how long ago the newest run finished (its index was
// written: one HEAD); ok is false when there is none.
func (b *Backup) NewestAge(ctx context.Context) (age time.Duration, ok bool, err error) {
	out, err := b.dst.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b.dstBucket, Key: aws.String(b.keys.index)})
	if cache.IsNotFound(err) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return b.now().Sub(aws.ToTime(out.LastModified)), true, nil
}

// Problem is one object that failed verification.
type Problem struct {
	Key      string `json:"key"`
	Location string `json:"location"`
	Reason   string `json:"reason"` // missing, corrupt, unreadable: …
}

// VerifyReport is what verify found. Archived copies cannot be read
// without a thaw: they are counted, not checked.
type VerifyReport struct {
	Run      string    `json:"run"`
	Checked  int       `json:"checked"`
	Archived int       `json:"archived,omitempty"`
	Bytes    int64     `json:"bytes"`
	Problems []Problem `json:"problems,omitempty"`
}

// Verify reads back every object of the point in time of run (empty: the
// newest) and checks it against its recorded SHA-256.
func (b *Backup) Verify(ctx context.Context, run string) (VerifyReport, error) {
	st, run, err := b.State(ctx, run)
	if err != nil {
		return VerifyReport{}, err
	}
	keys := st.Keys()
	problems := make([]*Problem, len(keys))
	archived := make([]bool, len(keys))
	total, err := b.each(ctx, "verify "+run, st, keys, func(ctx context.Context, i int, e Entry) error {
		sum, err := b.hash(ctx, b.dst, b.dstBucket, e.Location)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case IsArchived(err):
			archived[i] = true
		case cache.IsNotFound(err):
			problems[i] = &Problem{Key: e.Key, Location: e.Location, Reason: "missing"}
		case err != nil:
			problems[i] = &Problem{Key: e.Key, Location: e.Location, Reason: "unreadable: " + err.Error()}
		case sum != e.SHA256:
			problems[i] = &Problem{Key: e.Key, Location: e.Location, Reason: "corrupt"}
		}
		return nil
	})
	if err != nil {
		return VerifyReport{}, err
	}
	rep := VerifyReport{Run: run, Bytes: total}
	for i, p := range problems {
		switch {
		case archived[i]:
			rep.Archived++
		case p != nil:
			rep.Problems = append(rep.Problems, *p)
			rep.Checked++
		default:
			rep.Checked++
		}
	}
	return rep, nil
}

// each runs fn for every entry of st (in the order of keys), at most
// Concurrency at once, reporting progress as what; it returns the
// entries' total size. The first error stops the rest.
func (b *Backup) each(ctx context.Context, what string, st State, keys []string, fn func(ctx context.Context, i int, e Entry) error) (int64, error) {
	var total int64
	for _, k := range keys {
		total += st[k].Size
	}
	b.o.Progress.Start(what, len(keys), total)
	defer b.o.Progress.Done()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(b.o.Concurrency)
	for i, k := range keys {
		e := st[k]
		g.Go(func() error {
			if err := fn(gctx, i, e); err != nil {
				return err
			}
			b.o.Progress.Add(1, e.Size)
			return nil
		})
	}
	return total, g.Wait()
}

// State is the source bucket as of run (empty: the newest run), and the
// run's id.
func (b *Backup) State(ctx context.Context, run string) (State, string, error) {
	ms, err := b.manifests(ctx)
	if err != nil {
		return nil, "", err
	}
	c, err := chain(ms, run)
	if err != nil {
		return nil, "", err
	}
	return compose(c, nil), c[len(c)-1].Run, nil
}

// RestoreReport is what a restore did.
type RestoreReport struct {
	Run       string   `json:"run"`
	Restored  int      `json:"restored"`
	Unchanged int      `json:"unchanged"`
	KeptNewer []string `json:"keptNewer,omitempty"`
	Bytes     int64    `json:"bytes"`
	// Thawing copies are in the archive class: a thaw was requested (or is
	// under way); run the restore again once it is done (ThawHint).
	Thawing  int    `json:"thawing,omitempty"`
	ThawHint string `json:"thawHint,omitempty"`
}

// Restore rebuilds bucket (under prefix) as of run: every object of that
// point in time is copied back unless the target already holds the same
// content (so a second restore changes nothing) or a newer object (kept
// unless overwrite).
func (b *Backup) Restore(ctx context.Context, run, bucket, prefix string, overwrite bool) (RestoreReport, error) {
	st, run, err := b.State(ctx, run)
	if err != nil {
		return RestoreReport{}, err
	}
	type outcome struct {
		restored, newer, thawing bool
	}
	keys := st.Keys()
	outcomes := make([]outcome, len(keys))
	_, err = b.each(ctx, "restore "+run, st, keys, func(ctx context.Context, i int, e Entry) error {
		target := prefix + e.Key
		same, newer, err := b.compare(ctx, bucket, target, e)
		if err != nil {
			return fmt.Errorf("restore %s: %w", e.Key, err)
		}
		if !same && (!newer || overwrite) {
			head, err := b.dst.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b.dstBucket, Key: &e.Location})
			if err != nil {
				return fmt.Errorf("restore %s: backup copy: %w", e.Key, err)
			}
			if head.StorageClass != "" && head.StorageClass != types.StorageClassStandard && !thawed(head.Restore) {
				if err := b.thaw(ctx, e.Location); err != nil {
					return fmt.Errorf("restore %s: thaw: %w", e.Key, err)
				}
				outcomes[i].thawing = true
				return nil
			}
			if _, _, err := b.copy(ctx, b.src, b.dstBucket, e.Location, aws.ToString(head.ETag), e.Size, bucket, target); err != nil {
				if !IsArchived(err) {
					return fmt.Errorf("restore %s: %w", e.Key, err)
				}
				if err := b.thaw(ctx, e.Location); err != nil {
					return fmt.Errorf("restore %s: thaw: %w", e.Key, err)
				}
				outcomes[i].thawing = true
				return nil
			}
			outcomes[i].restored = true
		}
		outcomes[i].newer = !same && newer && !overwrite
		return nil
	})
	if err != nil {
		return RestoreReport{}, err
	}
	rep := RestoreReport{Run: run}
	for i, o := range outcomes {
		switch {
		case o.thawing:
			rep.Thawing++
		case o.restored:
			rep.Restored++
			rep.Bytes += st[keys[i]].Size
		case o.newer:
			rep.KeptNewer = append(rep.KeptNewer, keys[i])
		default:
			rep.Unchanged++
		}
	}
	if rep.Thawing > 0 {
		rep.ThawHint = fmt.Sprintf("%d copies are being brought back from the archive (%s tier: %s); run this restore again then", rep.Thawing, b.o.ThawTier, thawTime[b.o.ThawTier])
	}
	return rep, nil
}

// thawTime is how long each retrieval tier takes from S3 Glacier Flexible
// Retrieval: https://docs.aws.amazon.com/AmazonS3/latest/userguide/restoring-objects-retrieval-options.html
var thawTime = map[types.Tier]string{
	types.TierExpedited: "1 to 5 minutes", types.TierStandard: "3 to 5 hours", types.TierBulk: "5 to 12 hours",
}

// thaw asks S3 to bring an archived copy back for ThawDays; a thaw
// already under way is fine.
func (b *Backup) thaw(ctx context.Context, key string) error {
	_, err := b.dst.RestoreObject(ctx, &s3.RestoreObjectInput{
		Bucket: &b.dstBucket, Key: &key,
		RestoreRequest: &types.RestoreRequest{Days: aws.Int32(b.o.ThawDays), GlacierJobParameters: &types.GlacierJobParameters{Tier: b.o.ThawTier}},
	})
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "RestoreAlreadyInProgress" {
		return nil
	}
	return err
}

// thawed reads a HEAD's x-amz-restore: a finished thaw says
// ongoing-request="false".
func thawed(restore *string) bool {
	return restore != nil && strings.Contains(*restore, `ongoing-request="false"`)
}

// IsArchived reports whether S3 refused a read because the object is in an
// archive class and not thawed (InvalidObjectState).
func IsArchived(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "InvalidObjectState"
}

// compare tells whether bucket/key already holds e's content, and whether
// what it holds is newer than e.
func (b *Backup) compare(ctx context.Context, bucket, key string, e Entry) (same, newer bool, err error) {
	head, err := b.src.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key, ChecksumMode: types.ChecksumModeEnabled})
	if cache.IsNotFound(err) {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	// HTTP dates have whole seconds: an object from the same second as the
	// backed-up one may be newer, so it counts as newer (kept).
	newer = !aws.ToTime(head.LastModified).Before(e.LastModified.Truncate(time.Second))
	if aws.ToInt64(head.ContentLength) != e.Size {
		return false, newer, nil
	}
	if c := aws.ToString(head.ChecksumSHA256); c != "" && !strings.Contains(c, "-") {
		raw, err := base64.StdEncoding.DecodeString(c)
		if err == nil {
			return hex.EncodeToString(raw) == e.SHA256, newer, nil
		}
	}
	sum, err := b.hash(ctx, b.src, bucket, key)
	if err != nil {
		return false, false, err
	}
	return sum == e.SHA256, newer, nil
}
