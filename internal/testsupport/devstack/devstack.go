// Package devstack runs the whole service on one machine on embedded
// defaults: an S3-compatible store (versitygw, data under .data/), the
// local Kroki-compatible renderer (cmd/renderer, its own process, restarted
// when it dies), the render API and the web UI, each on its loopback port
// with its log lines prefixed. It backs `make dev` and `make invoke`.
package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/umlimages/umlimages/internal/testsupport/binpath"
)

// Addrs are where the stack's parts listen.
type Addrs struct {
	S3, Kroki, API, UI string
}

// Default are the local stack's addresses, as the replaced service had them
// (UI 9002, API 9001, Kroki 8000).
var Default = Addrs{S3: "127.0.0.1:9000", Kroki: "127.0.0.1:8000", API: "127.0.0.1:9001", UI: "127.0.0.1:9002"}

// FreeAddrs are loopback addresses nothing listens on, for a stack of
// its own (tests run beside each other and beside `make dev`).
func FreeAddrs() (Addrs, error) {
	var free [4]string
	for i := range free {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return Addrs{}, err
		}
		free[i] = l.Addr().String()
		l.Close()
	}
	return Addrs{S3: free[0], Kroki: free[1], API: free[2], UI: free[3]}, nil
}

// ParsePorts is Default with the ports DEV_PORTS names moved, e.g.
// "api=9101,ui=9102" (parts: s3, kroki, api, ui); every address stays on
// 127.0.0.1.
func ParsePorts(spec string) (Addrs, error) {
	a := Default
	parts := map[string]*string{"s3": &a.S3, "kroki": &a.Kroki, "api": &a.API, "ui": &a.UI}
	for _, kv := range strings.Split(spec, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		name, port, _ := strings.Cut(kv, "=")
		addr, ok := parts[strings.ToLower(strings.TrimSpace(name))]
		n, err := strconv.Atoi(strings.TrimSpace(port))
		if !ok || err != nil || n < 1 || n > 65535 {
			return Addrs{}, fmt.Errorf("DEV_PORTS: %q is not part=port with a part of s3, kroki, api, ui and a port 1-65535", kv)
		}
		*addr = "127.0.0.1:" + strconv.Itoa(n)
	}
	return a, nil
}

// The local stack's fixed settings. The credentials guard a store bound to
// 127.0.0.1 and hold no data of value: they are not secrets.
const (
	Bucket = "uml-images"
	// BackupBucket receives `make backup` runs on the local stack.
	BackupBucket = "uml-images-backup"
	AccessKey    = "devstack"
	SecretKey    = "devstack-local-only"
	Region       = "us-east-1"
	// DataDir holds the store's objects, under the repository (git-ignored).
	DataDir = ".data"
)

// Env is the render function's environment on the local stack.
func Env(krokiURL, s3Addr string) []string {
	return []string{
		"KROKI_URL=" + krokiURL,
		"CACHE_BUCKET=" + Bucket,
		"S3_FORCE_PATH_STYLE=true",
		"AWS_ENDPOINT_URL_S3=http://" + s3Addr,
		"AWS_REGION=" + Region,
		"AWS_ACCESS_KEY_ID=" + AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + SecretKey,
		"KROKI_VERSION=local",
	}
}

// CheckPorts reports every address of the stack that something already
// holds, naming the component that wanted it.
func CheckPorts(addrs map[string]string) error {
	var errs []error
	for name, addr := range addrs {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s is already in use; stop what holds it (ss -ltnp 'sport = :%s')", name, addr, addr[strings.LastIndexByte(addr, ':')+1:]))
			continue
		}
		l.Close()
	}
	return errors.Join(errs...)
}

// Up reports whether something answers on addr.
func Up(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err == nil {
		c.Close()
	}
	return err == nil
}

// WaitFor polls addr until it accepts connections.
func WaitFor(ctx context.Context, name, addr string) error {
	for !Up(addr) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not come up on %s", name, addr)
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// StartStore runs versitygw on addr over dataDir/s3 and makes sure the
// bucket exists.
func (g *Group) StartStore(ctx context.Context, addr, dataDir string) error {
	bin, err := binpath.Find("versitygw", "VERSITYGW")
	if err != nil {
		return err
	}
	dir := filepath.Join(dataDir, "s3")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := g.Supervise("s3", []string{"ROOT_ACCESS_KEY=" + AccessKey, "ROOT_SECRET_KEY=" + SecretKey},
		bin, "--port", addr, "--keep-alive", "--quiet", "posix", dir); err != nil {
		return err
	}
	wait, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := WaitFor(wait, "the S3 store", addr); err != nil {
		return err
	}
	return EnsureBucket(ctx, addr)
}

// EnsureBucket creates the local buckets unless they exist.
func EnsureBucket(ctx context.Context, addr string) error {
	client := s3.New(s3.Options{
		Region:       Region,
		BaseEndpoint: aws.String("http://" + addr),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
	})
	for _, b := range []string{Bucket, BackupBucket} {
		_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)})
		var owned *types.BucketAlreadyOwnedByYou
		var exists *types.BucketAlreadyExists
		if err != nil && !errors.As(err, &owned) && !errors.As(err, &exists) {
			return fmt.Errorf("create bucket %s: %w", b, err)
		}
	}
	return nil
}

// BuildRenderer builds the local renderer (cmd/renderer) into
// root/build/dev/renderer and returns its path.
func BuildRenderer(root string, log io.Writer) (string, error) {
	bin := filepath.Join(root, "build", "dev", "renderer")
	build := exec.Command("go", "build", "-o", bin, "./cmd/renderer")
	build.Dir = root
	build.Stdout, build.Stderr = log, log
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("build the local renderer: %w", err)
	}
	return bin, nil
}

// Scripts is the local renderer's Node and browser engines' folder in the
// repository at root.
func Scripts(root string) string { return filepath.Join(root, "internal", "engine", "_js") }

// StartRenderer runs the local renderer bin on addr under supervision,
// with the engines' scripts folder, waits for it to answer and returns the
// types it draws.
func (g *Group) StartRenderer(ctx context.Context, bin, scripts, addr string) ([]string, error) {
	if err := g.Supervise("kroki", nil, bin, "--listen", addr, "--scripts", scripts); err != nil {
		return nil, err
	}
	wait, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := WaitFor(wait, "the local renderer", addr); err != nil {
		return nil, err
	}
	return RendererTypes(ctx, "http://"+addr)
}

// RendererTypes asks a renderer's /health which engines it runs.
func RendererTypes(ctx context.Context, baseURL string) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/health", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("the local renderer's health: %w", err)
	}
	defer resp.Body.Close()
	var h struct {
		Version map[string]string `json:"version"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		return nil, fmt.Errorf("the local renderer's health: %w", err)
	}
	var types []string
	for t := range h.Version {
		types = append(types, t)
	}
	sort.Strings(types)
	if len(types) == 0 {
		return nil, errors.New("the local renderer runs no engine")
	}
	return types, nil
}
