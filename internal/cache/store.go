// Package cache stores renders and saved diagrams in an S3 bucket (the
// layout of keys is the domain's: diagram.RenderObject, diagram.SavedObject).
// Every write is create-only (If-None-Match: *), so a stored object is never
// replaced.
package cache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/umlimages/umlimages/internal/diagram"
)

// Sentinel errors; they match the domain's diagram.ErrNotFound and
// diagram.ErrExists under errors.Is.
var (
	ErrNotFound = fmt.Errorf("cache: %w", diagram.ErrNotFound)
	ErrExists   = fmt.Errorf("cache: %w", diagram.ErrExists)
)

// Store is an S3 bucket holding renders and saved diagrams.
type Store struct {
	s3     *s3.Client
	bucket string
}

// New returns a store over bucket.
func New(client *s3.Client, bucket string) *Store {
	return &Store{s3: client, bucket: bucket}
}

// Get reads an object; ErrNotFound when there is none.
func (s *Store) Get(ctx context.Context, key string) (body []byte, contentType string, err error) {
	out, err := s.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		if IsNotFound(err) {
			return nil, "", fmt.Errorf("get %s: %w", key, ErrNotFound)
		}
		return nil, "", fmt.Errorf("get %s: %w", key, err)
	}
	defer out.Body.Close()
	n := 0
	if out.ContentLength != nil && *out.ContentLength > 0 {
		n = int(*out.ContentLength)
	}
	buf := bytes.NewBuffer(make([]byte, 0, n+bytes.MinRead))
	if _, err := buf.ReadFrom(out.Body); err != nil {
		return nil, "", fmt.Errorf("get %s: read body: %w", key, err)
	}
	return buf.Bytes(), aws.ToString(out.ContentType), nil
}

// Create writes an object only if none exists at key: ErrExists otherwise.
// Metadata becomes x-amz-meta-* headers.
func (s *Store) Create(ctx context.Context, key string, body []byte, contentType string, metadata map[string]string) error {
	_, err := s.s3.PutObject(ctx, &s3.PutObjectInput{
		Bucket:            &s.bucket,
		Key:               &key,
		Body:              bytes.NewReader(body),
		ContentLength:     aws.Int64(int64(len(body))),
		ContentType:       &contentType,
		CacheControl:      aws.String("public, max-age=31536000, immutable"),
		Metadata:          metadata,
		IfNoneMatch:       aws.String("*"),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
	})
	if err != nil {
		if IsPreconditionFailed(err) || statusCode(err) == http.StatusConflict {
			return fmt.Errorf("put %s: %w", key, ErrExists)
		}
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// Ping checks that the bucket answers.
func (s *Store) Ping(ctx context.Context) error {
	if _, err := s.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &s.bucket}); err != nil {
		return fmt.Errorf("head bucket %s: %w", s.bucket, err)
	}
	return nil
}

// IsNotFound reports whether an S3 error says the object (or key) is not
// there.
func IsNotFound(err error) bool {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	return errors.As(err, &nsk) || errors.As(err, &nf) || statusCode(err) == http.StatusNotFound
}

// IsPreconditionFailed reports whether an S3 conditional request
// (If-Match, If-None-Match) was refused.
func IsPreconditionFailed(err error) bool {
	return statusCode(err) == http.StatusPreconditionFailed
}

func statusCode(err error) int {
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "PreconditionFailed" {
		return http.StatusPreconditionFailed
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}
