package backup

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"

	"github.com/umlimages/umlimages/internal/cache"
	"github.com/umlimages/umlimages/internal/config"
)

// Defaults.
const (
	DefaultConcurrency = config.DefaultBackupConcurrency
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
