package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/umlimages/umlimages/internal/testsupport/devstack"
)

// TestInvokeRenderEvent is `make invoke FN=render
// EVENT=events/render-get-svg.json` with no stack running: it starts the
// store and the renderer itself and prints a 200 with an SVG.
func TestInvokeRenderEvent(t *testing.T) {
	out, err := run(bootstrap(t, "render"), "../../events/render-get-svg.json", freeAddrs(t), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var resp events.APIGatewayProxyResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("not an API Gateway response: %s", out)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(strings.Join(resp.MultiValueHeaders["Content-Type"], ""), "image/svg+xml") || !strings.Contains(resp.Body, "<svg") {
		t.Errorf("got %d %v %.200s", resp.StatusCode, resp.MultiValueHeaders["Content-Type"], resp.Body)
	}
}

// TestInvokeBackupAndFailover: `make invoke` gives every function its
// local settings: a backup run and a failover status answer.
func TestInvokeBackupAndFailover(t *testing.T) {
	for _, c := range []struct{ fn, event, want string }{
		{"backup", "backup-incremental.json", `"ok":true`},
		{"failover", "failover-status.json", `"outcome":"stayed"`},
	} {
		t.Run(c.fn, func(t *testing.T) {
			addrs := freeAddrs(t)
			out, err := run(bootstrap(t, c.fn), "../../events/"+c.event, addrs, "http://"+addrs.Kroki, t.TempDir())
			if err != nil || !strings.Contains(string(out), c.want) {
				t.Errorf("%s: %v\n%s", c.fn, err, out)
			}
		})
	}
}

// bootstrap builds fn's Lambda bootstrap for this machine.
func bootstrap(t *testing.T, fn string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), fn, "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", out, "../../functions/"+fn)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if got, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", fn, err, got)
	}
	return out
}

func freeAddrs(t *testing.T) devstack.Addrs {
	t.Helper()
	a, err := devstack.FreeAddrs()
	if err != nil {
		t.Fatal(err)
	}
	return a
}
