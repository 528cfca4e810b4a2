package rie

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFailedInvokeSaysWhy: a function that dies at start answers 502 with
// no body; the error carries what it printed.
func TestFailedInvokeSaysWhy(t *testing.T) {
	bootstrap := filepath.Join(t.TempDir(), "dies", "bootstrap")
	os.MkdirAll(filepath.Dir(bootstrap), 0o755)
	os.WriteFile(bootstrap, []byte("#!/bin/sh\necho 'config: SOURCE_BUCKET is required' >&2\nexit 2\n"), 0o755)
	e, err := Start(bootstrap, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	_, err = e.Invoke(context.Background(), []byte(`{}`))
	if err == nil || !strings.Contains(err.Error(), "SOURCE_BUCKET is required") {
		t.Errorf("got %v, want the function's own words", err)
	}
}
