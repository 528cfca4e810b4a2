// Package s3test runs a real S3-compatible server (versitygw, posix
// backend) on a loopback port for tests, the way net/http/httptest runs an
// HTTP server. The versitygw binary comes from $VERSITYGW, the PATH, or the
// repository's bin/ (make tools installs it there).
package s3test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/umlimages/umlimages/internal/testsupport/binpath"
)

// Credentials of the server's root account.
const (
	AccessKey = "s3test"
	SecretKey = "s3test-secret"
	Region    = "us-east-1"
)

// Server is a running versitygw.
type Server struct {
	URL  string // http://127.0.0.1:port
	addr string
	dir  string
	bin  string
	cmd  *exec.Cmd
	done chan struct{}
}

// Start starts a server on a free loopback port with an empty data
// directory, and stops it when the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin, err := binpath.Find("versitygw", "VERSITYGW")
	if err != nil {
		tb.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s := &Server{URL: "http://" + addr, addr: addr, dir: tb.TempDir(), bin: bin}
	if err := s.start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Stop)
	return s
}

// Stop stops the server; its data stays for Restart.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// Restart starts a stopped server again on the same port and data.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	if err := s.start(); err != nil {
		tb.Fatal(err)
	}
}

func (s *Server) start() error {
	// --keep-alive: connections are reused, as S3 reuses them (versitygw
	// closes each one by default, and a dial per call skews every figure).
	cmd := exec.Command(s.bin, "--port", s.addr, "--keep-alive", "--quiet", "posix", s.dir)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+AccessKey, "ROOT_SECRET_KEY="+SecretKey)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("s3test: start %s: %w", s.bin, err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func() { cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("s3test: versitygw exited at start: %s", out.String())
		default:
		}
		if c, err := net.DialTimeout("tcp", s.addr, 100*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.Stop()
	return fmt.Errorf("s3test: versitygw not listening on %s", s.addr)
}

// Path is where the server keeps an object on disk (versitygw's posix
// backend: <dir>/<bucket>/<key>), for tests that damage it underneath.
func (s *Server) Path(bucket, key string) string {
	return filepath.Join(s.dir, bucket, filepath.FromSlash(key))
}

// Config is an AWS configuration for the server, built the way production
// code builds its own (default checksum behaviour included).
func (s *Server) Config(tb testing.TB) aws.Config {
	tb.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion(Region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, "")),
		config.WithRetryMaxAttempts(1),
	)
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

// Client is an S3 client for the server.
func (s *Server) Client(tb testing.TB) *s3.Client {
	tb.Helper()
	return s3.NewFromConfig(s.Config(tb), func(o *s3.Options) {
		o.BaseEndpoint = aws.String(s.URL)
		o.UsePathStyle = true
	})
}

// Bucket creates a bucket, unless it exists, and returns its name.
func (s *Server) Bucket(tb testing.TB, name string) string {
	tb.Helper()
	_, err := s.Client(tb).CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: &name})
	var owned *types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) {
		tb.Fatalf("create bucket %s: %v", name, err)
	}
	return name
}
