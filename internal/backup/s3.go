package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/rivetr/rivetr/internal/egress"
)

// S3Config reaches an S3-compatible bucket.
type S3Config struct {
	Endpoint  string // e.g. https://s3.eu-central-1.amazonaws.com or http://minio:9000
	Region    string
	Bucket    string
	Prefix    string // keys are Prefix + key
	AccessKey string
	SecretKey string
	// PathStyle addresses the bucket in the path (most self-hosted servers)
	// rather than as a subdomain.
	PathStyle bool
	// Egress is where the endpoint may be (see package egress): the
	// endpoint is a team's input.
	Egress *egress.Policy
}

// S3 keeps backups in a bucket, uploading in parts of PartSize (so memory
// holds one part at a time); an upload that fails is aborted, leaving no
// object.
type S3 struct {
	cfg      S3Config
	client   *s3.Client
	PartSize int
}

// NewS3 makes an S3 destination.
func NewS3(cfg S3Config) (*S3, error) {
	if cfg.Bucket == "" || cfg.Endpoint == "" {
		return nil, errors.New("an S3 destination needs an endpoint and a bucket")
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	awsCfg := aws.Config{
		Region:      cfg.Region,
		Credentials: credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.SecretKey, ""),
		HTTPClient:  cfg.Egress.Client(10 * time.Minute),
		// S3-compatible servers vary in the checksums they take; ask for
		// none beyond what the operation requires (the backup's own
		// SHA-256 is checked by reading it back).
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		RetryMaxAttempts:           3,
	}
	c := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(strings.TrimRight(cfg.Endpoint, "/"))
		o.UsePathStyle = cfg.PathStyle
	})
	return &S3{cfg: cfg, client: c, PartSize: 8 << 20}, nil
}

// Name is "s3".
func (s *S3) Name() string { return "s3" }

func (s *S3) key(k string) string { return strings.TrimLeft(s.cfg.Prefix+k, "/") }

// Where is s3://bucket/key.
func (s *S3) Where(k string) string { return "s3://" + s.cfg.Bucket + "/" + s.key(k) }

// Check makes sure the bucket answers with these credentials.
func (s *S3) Check(ctx context.Context) error {
	_, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(s.cfg.Bucket)})
	if err != nil {
		return fmt.Errorf("bucket %s at %s: %w", s.cfg.Bucket, s.cfg.Endpoint, err)
	}
	return nil
}

// Put uploads r: in one request when it fits in a part, else as a
// multipart upload, aborted on any error.
func (s *S3) Put(ctx context.Context, k string, r io.Reader) error {
	key := s.key(k)
	buf := make([]byte, s.PartSize)
	n, err := io.ReadFull(r, buf)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		_, err = s.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key),
			Body: bytes.NewReader(buf[:n]), ContentLength: aws.Int64(int64(n))})
		return err
	}
	if err != nil {
		return err
	}
	up, err := s.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key)})
	if err != nil {
		return err
	}
	abort := func(cause error) error {
		_, _ = s.client.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key), UploadId: up.UploadId})
		return cause
	}
	var parts []types.CompletedPart
	for part := int32(1); ; part++ {
		res, err := s.client.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key), UploadId: up.UploadId,
			PartNumber: aws.Int32(part), Body: bytes.NewReader(buf[:n]), ContentLength: aws.Int64(int64(n))})
		if err != nil {
			return abort(err)
		}
		parts = append(parts, types.CompletedPart{ETag: res.ETag, PartNumber: aws.Int32(part)})
		n, err = io.ReadFull(r, buf)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			return abort(err)
		}
	}
	_, err = s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		return abort(err)
	}
	return nil
}

// Open reads the object.
func (s *S3) Open(ctx context.Context, k string) (io.ReadCloser, error) {
	res, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(s.key(k))})
	if err != nil {
		return nil, err
	}
	return res.Body, nil
}

// Delete removes the object.
func (s *S3) Delete(ctx context.Context, k string) error {
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(s.key(k))})
	return err
}
