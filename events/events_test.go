// Package events holds sample Lambda events, used by SAM
// (`sam local invoke -e events/<file>.json`) and by this test, which
// invokes every one of them against the real bootstrap under
// aws-lambda-rie, serially, and checks each response.
package events_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/umlimages/umlimages/internal/engine"
	"github.com/umlimages/umlimages/internal/rie"
	"github.com/umlimages/umlimages/internal/s3test"
)

// check asserts on one invocation's payload; the emulator answers a
// handler error as a 200 whose body has errorType, so every check looks at
// the body.
type check func(t *testing.T, payload []byte)

// apiResponse checks an API Gateway proxy response.
func apiResponse(status int, contentType string, isBase64 bool, body func(t *testing.T, body []byte)) check {
	return func(t *testing.T, payload []byte) {
		var resp events.APIGatewayProxyResponse
		if err := json.Unmarshal(payload, &resp); err != nil || resp.StatusCode == 0 {
			t.Fatalf("not an API Gateway response: %s", payload)
		}
		if resp.StatusCode != status {
			t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, resp.Body)
		}
		if got := strings.Join(resp.MultiValueHeaders["Content-Type"], ","); got != contentType {
			t.Errorf("Content-Type %q, want %q", got, contentType)
		}
		if resp.IsBase64Encoded != isBase64 {
			t.Errorf("isBase64Encoded %v, want %v", resp.IsBase64Encoded, isBase64)
		}
		b := []byte(resp.Body)
		if resp.IsBase64Encoded {
			var err error
			if b, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
				t.Fatalf("body is not base64: %v", err)
			}
		}
		body(t, b)
	}
}

func contains(parts ...string) func(*testing.T, []byte) {
	return func(t *testing.T, b []byte) {
		for _, p := range parts {
			if !strings.Contains(string(b), p) {
				t.Errorf("body does not contain %q: %.300s", p, b)
			}
		}
	}
}

// expectations names every event in this folder: a new event without an
// entry fails the test.
var expectations = map[string]check{
	"render-get-svg.json":      apiResponse(200, "image/svg+xml", false, contains("<svg", "Hello", "World")),
	"render-get-png.json":      apiResponse(200, "image/png", true, contains("\x89PNG")),
	"render-post-text.json":    apiResponse(200, "image/svg+xml", false, contains("<svg", "Alice", "Bob")),
	"render-post-json.json":    apiResponse(200, "image/svg+xml", false, contains("<svg", "Hello")),
	"render-bad-encoding.json": apiResponse(400, "application/json", false, contains(`"code":400`, "Unable to decode the source")),
}

func TestEveryEventUnderRIE(t *testing.T) {
	files, err := filepath.Glob("*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no events: %v", err)
	}
	sort.Strings(files)
	engines, missing := engine.Local(60 * time.Second)
	if len(missing) > 0 {
		t.Fatalf("engines missing (run `make engines`): %v", missing)
	}
	renderer := httptest.NewServer(engine.NewServer(engines, nil))
	defer renderer.Close()
	store := s3test.Start(t)
	env := map[string][]string{
		"render": {
			"KROKI_URL=" + renderer.URL,
			"CACHE_BUCKET=" + store.Bucket(t, "events"),
			"S3_FORCE_PATH_STYLE=true",
			"AWS_ENDPOINT_URL_S3=" + store.URL,
			"AWS_REGION=" + s3test.Region,
			"AWS_ACCESS_KEY_ID=" + s3test.AccessKey,
			"AWS_SECRET_ACCESS_KEY=" + s3test.SecretKey,
		},
	}
	emulators := map[string]*rie.Emulator{}
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			expect, ok := expectations[file]
			if !ok {
				t.Fatalf("events/%s has no expectation in events_test.go", file)
			}
			fn, _, _ := strings.Cut(file, "-")
			emu, ok := emulators[fn]
			if !ok {
				emu = start(t, fn, env[fn])
				emulators[fn] = emu
			}
			event, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			payload, err := emu.Invoke(ctx, event)
			if err != nil {
				t.Fatalf("invoke: %v\n%s", err, emu.Logs())
			}
			if strings.Contains(string(payload), `"errorType"`) {
				t.Fatalf("the handler failed: %s\n%s", payload, emu.Logs())
			}
			expect(t, payload)
		})
	}
	for _, emu := range emulators {
		emu.Stop()
	}
}

// start builds a function's real bootstrap for this machine and runs it
// under the emulator.
func start(t *testing.T, fn string, env []string) *rie.Emulator {
	t.Helper()
	bootstrap := filepath.Join(t.TempDir(), fn, "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", bootstrap, "../functions/"+fn)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", fn, err, out)
	}
	emu, err := rie.Start(bootstrap, rie.Options{Env: env})
	if err != nil {
		t.Fatal(err)
	}
	return emu
}
