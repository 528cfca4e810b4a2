package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/umlimages/umlimages/internal/rie"
	"github.com/umlimages/umlimages/internal/s3test"
)

// TestBootstrapUnderRIE builds the real bootstrap (for this machine's
// architecture), runs it under aws-lambda-rie as SAM would, and invokes it
// with events/render-*.json.
func TestBootstrapUnderRIE(t *testing.T) {
	bootstrap := filepath.Join(t.TempDir(), "render", "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", bootstrap, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build bootstrap: %v\n%s", err, out)
	}
	kroki := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<svg xmlns="http://www.w3.org/2000/svg"><text>rie</text></svg>`)
	}))
	defer kroki.Close()
	s3 := s3test.Start(t)
	emu, err := rie.Start(bootstrap, rie.Options{Env: []string{
		"KROKI_URL=" + kroki.URL,
		"CACHE_BUCKET=" + s3.Bucket(t, "rie-cache"),
		"S3_FORCE_PATH_STYLE=true",
		"AWS_ENDPOINT_URL_S3=" + s3.URL,
		"AWS_REGION=" + s3test.Region,
		"AWS_ACCESS_KEY_ID=" + s3test.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + s3test.SecretKey,
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Stop()

	for i, c := range []struct {
		event  string
		status int
		cache  string
	}{
		{"render-get-svg.json", 200, "miss"},
		{"render-get-svg.json", 200, "hit"},
		{"render-bad-encoding.json", 400, ""},
	} {
		event, err := os.ReadFile(filepath.Join("..", "..", "events", c.event))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		out, err := emu.Invoke(ctx, event)
		cancel()
		if err != nil {
			t.Fatalf("invoke %s: %v\n%s", c.event, err, emu.Logs())
		}
		var resp events.APIGatewayProxyResponse
		if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode == 0 {
			t.Fatalf("invoke %d (%s): not an API Gateway response: %s (%v)\n%s", i, c.event, out, err, emu.Logs())
		}
		if resp.StatusCode != c.status {
			t.Errorf("invoke %d (%s): status %d, want %d: %s", i, c.event, resp.StatusCode, c.status, resp.Body)
		}
		if got := strings.Join(resp.MultiValueHeaders["X-Cache"], ","); got != c.cache {
			t.Errorf("invoke %d (%s): X-Cache %q, want %q", i, c.event, got, c.cache)
		}
	}
	if logs := emu.Logs(); !strings.Contains(logs, `"msg":"request served"`) || !strings.Contains(logs, `"request_id":"`) {
		t.Errorf("the function's JSON request log is missing:\n%s", logs)
	}
}
