package backup

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/umlimages/umlimages/internal/cache"
	"golang.org/x/sync/errgroup"
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
