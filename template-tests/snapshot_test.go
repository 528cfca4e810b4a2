package templatetests

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
)

var update = flag.Bool("update", false, "rewrite the snapshots in testdata/")

// assetHash matches what changes with every build: asset hashes and the
// placeholder assets' temporary paths.
var assetHash = regexp.MustCompile(`[0-9a-f]{64}(\.zip|\.json)?|placeholder-assets-[0-9]+`)

// TestSnapshots: each stack's template, assets normalised, matches its
// snapshot; a change in the infrastructure shows up in review as a diff
// of testdata/ (go test ./template-tests -update rewrites it).
func TestSnapshots(t *testing.T) {
	for name, tpl := range synth(t) {
		raw, err := json.MarshalIndent(assertions.Template_FromStack(tpl.Stack, nil).ToJSON(), "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got := assetHash.ReplaceAll(raw, []byte("ASSET"))
		path := filepath.Join("testdata", name+".json")
		if *update {
			os.MkdirAll("testdata", 0o755)
			if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v (run go test ./template-tests -update)", name, err)
		}
		if !bytes.Equal(bytes.TrimSpace(want), bytes.TrimSpace(got)) {
			t.Errorf("%s drifted from %s; review the change and rerun with -update", name, path)
		}
	}
}
