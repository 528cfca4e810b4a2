package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/umlimages/umlimages/internal/config"
	"github.com/umlimages/umlimages/internal/testsupport/stacktest"
)

func TestCommand(t *testing.T) {
	s := stacktest.Start(t, stacktest.Options{})
	cfg := config.Probe{Timeout: 30 * time.Second, LatencyBudget: time.Minute}
	var out bytes.Buffer
	if code := command([]string{"--url", s.API.URL, "--kroki", s.Renderer.URL, "--engines", "graphviz,d2"}, &out, io.Discard, &http.Client{}, cfg); code != 0 {
		t.Fatalf("exit %d, want 0:\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "CHECK") || !strings.Contains(out.String(), "render  graphviz") {
		t.Errorf("table:\n%s", out.String())
	}
	out.Reset()
	if code := command([]string{"--url", s.API.URL, "--json", "--engines", "graphviz"}, &out, io.Discard, &http.Client{}, cfg); code != 0 {
		t.Fatalf("--json: exit %d", code)
	}
	var doc struct{ Status string }
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil || doc.Status != "pass" {
		t.Errorf("--json document: %s (%v)", out.String(), err)
	}
	s.Renderer.Close()
	if code := command([]string{"--url", s.API.URL, "--engines", "graphviz"}, io.Discard, io.Discard, &http.Client{}, cfg); code != 2 {
		t.Errorf("renderer down: exit %d, want 2", code)
	}
	if code := command(nil, io.Discard, io.Discard, &http.Client{}, cfg); code != 2 {
		t.Errorf("no --url: exit %d, want 2", code)
	}
}

// TestCommandSaysWhy: a warn names the slow checks (marked in the table),
// --help prints the usage once and exits 0, and the JSON names the target
// by its host.
func TestCommandSaysWhy(t *testing.T) {
	s := stacktest.Start(t, stacktest.Options{})
	var out, errOut bytes.Buffer
	code := command([]string{"--url", s.API.URL, "--engines", "graphviz"}, &out, io.Discard, &http.Client{}, config.Probe{Timeout: 30 * time.Second, LatencyBudget: time.Nanosecond})
	if code != 1 || !strings.Contains(out.String(), "over the 1ns latency budget") || !strings.Contains(out.String(), "pass (slow)") {
		t.Errorf("warn: exit %d\n%s", code, out.String())
	}
	if code := command([]string{"--help"}, io.Discard, &errOut, &http.Client{}, config.Probe{}); code != 0 || strings.Count(errOut.String(), "-url") != 1 {
		t.Errorf("--help: exit %d, usage printed %d times:\n%s", code, strings.Count(errOut.String(), "-url"), errOut.String())
	}
	out.Reset()
	command([]string{"--url", s.API.URL, "--json", "--engines", "graphviz"}, &out, io.Discard, &http.Client{}, config.Probe{Timeout: 30 * time.Second, LatencyBudget: time.Minute})
	var doc struct{ Target string }
	json.Unmarshal(out.Bytes(), &doc)
	if want := strings.TrimPrefix(s.API.URL, "http://"); doc.Target != want {
		t.Errorf("target %q, want %q", doc.Target, want)
	}
}
