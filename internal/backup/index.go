package backup

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"

	"github.com/umlimages/umlimages/internal/cache"
)

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
	var m Manifest
	found, err := b.readJSON(ctx, b.keys.checkpoint, &m)
	if err != nil {
		return Manifest{}, false, fmt.Errorf("read checkpoint: %w", err)
	}
	return m, found && m.Run != "", nil
}

func (b *Backup) putCheckpoint(ctx context.Context, m Manifest) error {
	return b.writeJSON(ctx, b.keys.checkpoint, m)
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
	var idx Index
	found, err := b.readJSON(ctx, b.keys.index, &idx)
	if err != nil {
		return Index{}, false, fmt.Errorf("read index: %w", err)
	}
	return idx, found, nil
}

func (b *Backup) putIndex(ctx context.Context, idx Index) error {
	return b.writeJSON(ctx, b.keys.index, idx)
}

// readJSON decodes a backup-bucket object into v; found is false when
// there is none.
func (b *Backup) readJSON(ctx context.Context, key string, v any) (found bool, err error) {
	out, err := b.dst.GetObject(ctx, &s3.GetObjectInput{Bucket: &b.dstBucket, Key: &key})
	if cache.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer out.Body.Close()
	return true, json.NewDecoder(out.Body).Decode(v)
}

// writeJSON writes v as a rewritable (unlocked) backup-bucket object.
func (b *Backup) writeJSON(ctx context.Context, key string, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = b.dst.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &b.dstBucket, Key: &key, Body: bytes.NewReader(body),
		ContentType: aws.String("application/json"), ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
	})
	return err
}

// manifestObjects lists the manifests' keys, every page, sorted by run.
func (b *Backup) manifestObjects(ctx context.Context) ([]types.Object, error) {
	var out []types.Object
	p := s3.NewListObjectsV2Paginator(b.dst, &s3.ListObjectsV2Input{Bucket: &b.dstBucket, Prefix: aws.String(b.keys.manifests)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list manifests: %w", err)
		}
		out = append(out, page.Contents...)
	}
	sort.Slice(out, func(i, j int) bool { return aws.ToString(out[i].Key) < aws.ToString(out[j].Key) })
	return out, nil
}

// manifests reads every manifest, sorted by run.
func (b *Backup) manifests(ctx context.Context) ([]Manifest, error) {
	objs, err := b.manifestObjects(ctx)
	if err != nil {
		return nil, err
	}
	ms := make([]Manifest, len(objs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(b.o.Concurrency)
	for i, o := range objs {
		g.Go(func() error {
			key := aws.ToString(o.Key)
			found, err := b.readJSON(gctx, key, &ms[i])
			if err == nil && !found {
				err = errors.New("it is gone")
			}
			if err != nil {
				return fmt.Errorf("read manifest %s: %w", b.keys.runFromManifestKey(key), err)
			}
			return nil
		})
	}
	return ms, g.Wait()
}
