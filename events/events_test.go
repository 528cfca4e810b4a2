// Package events holds sample Lambda events, used by SAM
// (`sam local invoke -e events/<file>.json`) and by this test, which
// invokes every one of them against the real bootstrap under
// aws-lambda-rie, serially, and checks each response.
package events_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/umlimages/umlimages/internal/testsupport/awstest"
	"github.com/umlimages/umlimages/internal/testsupport/devstack"
	"github.com/umlimages/umlimages/internal/testsupport/rie"
	"github.com/umlimages/umlimages/internal/testsupport/s3test"
	"github.com/umlimages/umlimages/internal/testsupport/stacktest"
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

// summary checks a health probe's answer.
func summary(status string, checks ...string) check {
	return func(t *testing.T, payload []byte) {
		var sum struct {
			Status  string `json:"status"`
			Results []struct {
				Checks []struct {
					Name, Engine, Status string
				} `json:"checks"`
			} `json:"results"`
		}
		if err := json.Unmarshal(payload, &sum); err != nil || len(sum.Results) == 0 {
			t.Fatalf("not a probe summary: %s", payload)
		}
		if sum.Status != status {
			t.Errorf("status %q, want %q: %s", sum.Status, status, payload)
		}
		seen := map[string]bool{}
		for _, c := range sum.Results[0].Checks {
			seen[strings.TrimSuffix(c.Name+":"+c.Engine, ":")] = c.Status == "pass"
		}
		for _, c := range checks {
			if !seen[c] {
				t.Errorf("check %s missing or failing: %s", c, payload)
			}
		}
	}
}

// outcome checks a backup's answer.
func outcome(action, kind string) check {
	return func(t *testing.T, payload []byte) {
		var out struct {
			Action string `json:"action"`
			OK     bool   `json:"ok"`
			Run    *struct {
				Kind    string `json:"kind"`
				Objects int    `json:"objects"`
			} `json:"run"`
			Verify *struct {
				Checked int `json:"checked"`
			} `json:"verify"`
		}
		if err := json.Unmarshal(payload, &out); err != nil || out.Action != action || !out.OK {
			t.Fatalf("not a good %s outcome: %s", action, payload)
		}
		if kind != "" && (out.Run == nil || out.Run.Kind != kind) {
			t.Errorf("run kind: %s, want %s", payload, kind)
		}
		if action == "verify" && (out.Verify == nil || out.Verify.Checked == 0) {
			t.Errorf("verify checked nothing: %s", payload)
		}
	}
}

// report checks a failover report.
func report(outcome, active string) check {
	return func(t *testing.T, payload []byte) {
		var rep struct {
			Outcome string `json:"outcome"`
			After   struct {
				Active string `json:"active"`
			} `json:"after"`
		}
		if err := json.Unmarshal(payload, &rep); err != nil || rep.Outcome != outcome || rep.After.Active != active {
			t.Fatalf("report: %s; want %s with %s serving", payload, outcome, active)
		}
	}
}

// expectations names every event in this folder: a new event without an
// entry fails the test. Events run in name order against one stack.
var expectations = map[string]check{
	"failback-manual.json":       report("stayed", "primary"),
	"failover-alarm.json":        report("switched", "standby"),
	"failover-manual.json":       report("stayed", "standby"),
	"failover-status.json":       report("stayed", "standby"),
	"backup-full.json":           outcome("backup", "full"),
	"backup-incremental.json":    outcome("backup", "incremental"),
	"backup-verify.json":         outcome("verify", ""),
	"healthprobe-scheduled.json": summary("pass", "health", "render:graphviz", "render:plantuml", "render:d2", "kroki:graphviz", "cached:d2"),
	"render-get-svg.json":        apiResponse(200, "image/svg+xml", false, contains("<svg", "Hello", "World")),
	"render-get-png.json":        apiResponse(200, "image/png", true, contains("\x89PNG")),
	"render-post-text.json":      apiResponse(200, "image/svg+xml", false, contains("<svg", "Alice", "Bob")),
	"render-post-json.json":      apiResponse(200, "image/svg+xml", false, contains("<svg", "Hello")),
	"render-bad-encoding.json":   apiResponse(400, "application/json", false, contains(`"code":400`, "Unable to decode the source")),
}

func TestEveryEventUnderRIE(t *testing.T) {
	files, err := filepath.Glob("*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no events: %v", err)
	}
	sort.Strings(files)
	stack := stacktest.Start(t, stacktest.Options{})
	// User data for the backup events: a saved diagram.
	resp, err := http.Post(stack.API.URL+"/v1/diagrams", "application/json",
		strings.NewReader(`{"diagram_type":"graphviz","diagram_source":"digraph { saved -> backed_up }"}`))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("save a diagram: %v %v", resp, err)
	}
	resp.Body.Close()
	weight := func(w int64) *int64 { return &w }
	route53 := awstest.NewRoute53(t, "Z0EXAMPLE",
		awstest.RecordSet{Name: "diagrams.example.com.", Type: "CNAME", SetIdentifier: "primary", Weight: weight(100), TTL: 60, Values: []string{"primary.example.net"}},
		awstest.RecordSet{Name: "diagrams.example.com.", Type: "CNAME", SetIdentifier: "standby", Weight: weight(0), TTL: 60, Values: []string{"standby.example.net"}},
	)
	env := map[string][]string{
		"render": {
			"KROKI_URL=" + stack.Renderer.URL,
			"CACHE_BUCKET=" + stack.Bucket,
			"S3_FORCE_PATH_STYLE=true",
			"AWS_ENDPOINT_URL_S3=" + stack.S3.URL,
			"AWS_REGION=" + s3test.Region,
			"AWS_ACCESS_KEY_ID=" + s3test.AccessKey,
			"AWS_SECRET_ACCESS_KEY=" + s3test.SecretKey,
		},
		"healthprobe": {"PROBE_TIMEOUT=30s", "LATENCY_BUDGET=1m"},
		"failover": {
			"HOSTED_ZONE_ID=Z0EXAMPLE",
			"RECORD_NAME=diagrams.example.com.",
			"PRIMARY_TARGET=primary.example.net",
			"STANDBY_TARGET=standby.example.net",
			"PRIMARY_PROBE_URL=" + stack.API.URL,
			"STANDBY_PROBE_URL=" + stack.API.URL,
			"MIN_DWELL=0s",
			"PROBE_TIMEOUT=30s",
			"STATE_BUCKET=" + stack.S3.Bucket(t, "failover-state"),
			"TOPIC_ARN=arn:aws:sns:us-east-1:123456789012:uml-images-critical",
			"S3_FORCE_PATH_STYLE=true",
			"AWS_ENDPOINT_URL_S3=" + stack.S3.URL,
			"AWS_ENDPOINT_URL_ROUTE_53=" + route53.URL,
			"AWS_ENDPOINT_URL_SNS=" + awstest.NewSNS(t).URL,
			"AWS_REGION=" + s3test.Region,
			"AWS_ACCESS_KEY_ID=" + s3test.AccessKey,
			"AWS_SECRET_ACCESS_KEY=" + s3test.SecretKey,
		},
		"backup": {
			"SOURCE_BUCKET=" + stack.Bucket,
			"BACKUP_BUCKET=" + stack.S3.Bucket(t, "vault"),
			"S3_FORCE_PATH_STYLE=true",
			"AWS_ENDPOINT_URL_S3=" + stack.S3.URL,
			"AWS_REGION=" + s3test.Region,
			"AWS_ACCESS_KEY_ID=" + s3test.AccessKey,
			"AWS_SECRET_ACCESS_KEY=" + s3test.SecretKey,
		},
	}
	// Events name the local stack's default addresses (`make invoke` runs
	// them against `make dev`); here they point at this test's stack.
	local := strings.NewReplacer(
		"http://"+devstack.Default.API, stack.API.URL,
		"http://"+devstack.Default.Kroki, stack.Renderer.URL,
	)
	emulators := map[string]*rie.Emulator{}
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			expect, ok := expectations[file]
			if !ok {
				t.Fatalf("events/%s has no expectation in events_test.go", file)
			}
			fn, _, _ := strings.Cut(file, "-")
			if fn == "failback" {
				fn = "failover"
			}
			emu, ok := emulators[fn]
			if !ok {
				emu = start(t, fn, env[fn])
				emulators[fn] = emu
			}
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			event := []byte(local.Replace(string(raw)))
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
	for _, rs := range route53.Records() {
		if want := map[string]int64{"primary": 0, "standby": 100}[rs.SetIdentifier]; *rs.Weight != want {
			t.Errorf("after the failover events, %s weighs %d, want %d", rs.SetIdentifier, *rs.Weight, want)
		}
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
