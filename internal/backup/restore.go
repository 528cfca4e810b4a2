package backup

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/umlimages/umlimages/internal/cache"
)

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
