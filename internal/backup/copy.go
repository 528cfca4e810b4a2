package backup

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

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
