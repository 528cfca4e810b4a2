package backup

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/umlimages/umlimages/internal/cache"
)

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
	objs, err := b.manifestObjects(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Summary, len(objs))
	for i, o := range objs {
		run := b.keys.runFromManifestKey(aws.ToString(o.Key))
		out[i] = Summary{Run: run, Kind: kindOf(run), Finished: aws.ToTime(o.LastModified).UTC()}
	}
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
