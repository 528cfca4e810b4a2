package main

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/umlimages/umlimages/internal/testsupport/binpath"
)

// readmeCommands are the README's shell commands: the lines of its ```sh
// blocks, comments cut, continuation lines joined.
func readmeCommands(t *testing.T, root string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cmds []string
	in, cont := false, ""
	for sc := bufio.NewScanner(f); sc.Scan(); {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "```sh"):
			in = true
			continue
		case strings.HasPrefix(line, "```"):
			in = false
			continue
		case !in:
			continue
		}
		if i := strings.Index(line, "   #"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cont += strings.TrimSuffix(line, "\\") + " "
			continue
		}
		cmds = append(cmds, cont+line)
		cont = ""
	}
	return cmds
}

// notRunHere are the README's commands this test does not run, and why.
var notRunHere = []struct{ prefix, why string }{
	{"make dev", "this test runs the same stack, on free ports"},
	{"make test", "the suite this test is part of"},
	{"make drill", "TestRegionLossDrill is the drill, in make test"},
	{"make bootstrap ", "an AWS account"},
	{"make diff ", "an AWS account"},
	{"make deploy ", "an AWS account and Docker"},
	{"make synth ENV=staging", "the template tests synthesize every environment with these settings"},
	{"aws lambda invoke", "an AWS account"},
	{"sam local invoke", "SAM and Docker; the events tests invoke the same events under aws-lambda-rie"},
	{"go run ./functions/failover", "a deployment's variables; the failover tests run the command against the Route 53 stand-in"},
	{"go run ./functions/healthprobe --url https://", "a deployed URL"},
	{`go run ./functions/healthprobe --url "$URL"`, "a deployed URL"},
	{"go run ./cmd/load --url https://", "a deployed URL"},
	{"URL=", "a deployed URL (the 8 KB request through CloudFront)"},
	{"src=", "a deployed URL (the 8 KB request through CloudFront)"},
	{"path=", "a deployed URL (the 8 KB request through CloudFront)"},
	{"echo ", "a deployed URL (the 8 KB request through CloudFront)"},
	{`curl -sS -o /dev/null -w`, "a deployed URL (the 8 KB request through CloudFront)"},
}

// TestREADMECommands runs every command the README shows that needs no
// AWS, against `make dev`'s stack on free ports, so the README cannot
// drift from the product; a command that is neither run nor excused here
// fails the test.
func TestREADMECommands(t *testing.T) {
	root, err := binpath.Root()
	if err != nil {
		t.Fatal(err)
	}
	_, _, addrs := startStack(t)
	replacer := strings.NewReplacer("127.0.0.1:9001", addrs.API, "127.0.0.1:8000", addrs.Kroki, "127.0.0.1:9002", addrs.UI)
	ran := 0
	for _, cmd := range readmeCommands(t, root) {
		if why := excused(cmd); why != "" {
			t.Logf("not run (%s): %s", why, cmd)
			continue
		}
		local := replacer.Replace(cmd)
		if strings.HasPrefix(local, "go run ./cmd/load") {
			local += " --duration 1s" // the load test, shortened
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		c := exec.CommandContext(ctx, "bash", "-o", "pipefail", "-c", local)
		c.Dir = root
		c.Env = append(os.Environ(), "DEV_S3="+addrs.S3)
		got, err := c.CombinedOutput()
		cancel()
		var exit *exec.ExitError
		// The probe's warn (exit 1) is a verdict, not a failure: on a cold
		// machine a first PlantUML render is slower than its 2 s budget.
		warned := strings.HasPrefix(cmd, "go run ./functions/healthprobe") && errors.As(err, &exit) && exit.ExitCode() == 1 && strings.Contains(string(got), ": warn in ")
		if err != nil && !warned {
			t.Errorf("README command failed: %s\n%v\n%s", cmd, err, got)
		}
		ran++
	}
	if ran < 10 {
		t.Errorf("ran %d README commands; the README shows more", ran)
	}
}

func excused(cmd string) string {
	for _, n := range notRunHere {
		if strings.HasPrefix(cmd, n.prefix) {
			return n.why
		}
	}
	return ""
}
