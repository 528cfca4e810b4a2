package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/umlimages/umlimages/internal/config"
	"github.com/umlimages/umlimages/internal/obs"
	"github.com/umlimages/umlimages/internal/testsupport/s3test"
)

// TestEvents sends every events/render-*.json through the real API Gateway
// adapter and the real wiring, against an httptest Kroki and a real S3
// server, as Lambda would deliver them.
func TestEvents(t *testing.T) {
	var krokiCalls atomic.Int64
	kroki := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		krokiCalls.Add(1)
		io.Copy(io.Discard, r.Body)
		if strings.HasSuffix(r.URL.Path, "/png") {
			png.Encode(w, image.NewGray(image.Rect(0, 0, 4, 4)))
			return
		}
		io.WriteString(w, `<svg xmlns="http://www.w3.org/2000/svg"/>`)
	}))
	defer kroki.Close()
	s3 := s3test.Start(t)
	bucket := s3.Bucket(t, "render-cache")
	t.Setenv("AWS_ACCESS_KEY_ID", s3test.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s3test.SecretKey)
	t.Setenv("AWS_REGION", s3test.Region)
	t.Setenv("AWS_ENDPOINT_URL_S3", s3.URL)
	env := map[string]string{
		config.EnvKrokiURL:         kroki.URL,
		config.EnvCacheBucket:      bucket,
		config.EnvS3ForcePathStyle: "true",
		config.EnvLambdaRuntimeAPI: "127.0.0.1:9001",
	}
	cfg, err := config.LoadRender(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	h := newHandler(context.Background(), cfg, obs.NewLogger(io.Discard, slog.LevelInfo))
	proxy := httpadapter.New(h).ProxyWithContext

	cases := []struct {
		event       string
		status      int
		contentType string
		base64      bool
	}{
		{"render-get-svg.json", 200, "image/svg+xml", false},
		{"render-get-png.json", 200, "image/png", true},
		{"render-post-text.json", 200, "image/svg+xml", false},
		{"render-post-json.json", 200, "image/svg+xml", false},
		{"render-bad-encoding.json", 400, "application/json", false},
	}
	for _, c := range cases {
		t.Run(c.event, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("..", "..", "events", c.event))
			if err != nil {
				t.Fatal(err)
			}
			var ev events.APIGatewayProxyRequest
			if err := json.Unmarshal(raw, &ev); err != nil {
				t.Fatal(err)
			}
			resp, err := proxy(context.Background(), ev)
			if err != nil {
				t.Fatalf("proxy: %v", err)
			}
			if resp.StatusCode != c.status {
				t.Fatalf("status: got %d (%s), want %d", resp.StatusCode, resp.Body, c.status)
			}
			if got := resp.MultiValueHeaders["Content-Type"]; len(got) != 1 || got[0] != c.contentType {
				t.Errorf("Content-Type: got %v, want %s", got, c.contentType)
			}
			if resp.IsBase64Encoded != c.base64 {
				t.Errorf("isBase64Encoded: got %v, want %v", resp.IsBase64Encoded, c.base64)
			}
			if c.base64 {
				body, err := base64.StdEncoding.DecodeString(resp.Body)
				if err != nil || !strings.HasPrefix(string(body), "\x89PNG") {
					t.Errorf("body is not a base64 PNG: %v", err)
				}
			}
		})
	}
	if got := krokiCalls.Load(); got != 4 {
		t.Errorf("Kroki calls: got %d, want 4", got)
	}
}
