package templatetests

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// workflow is the part of a GitHub Actions workflow the tests read.
type workflow struct {
	On struct {
		Push struct {
			Branches []string `yaml:"branches"`
			Tags     []string `yaml:"tags"`
		} `yaml:"push"`
	} `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Jobs        map[string]struct {
		If          string `yaml:"if"`
		Environment string `yaml:"environment"`
		Steps       []struct {
			Name string            `yaml:"name"`
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func readWorkflow(t *testing.T, name string) (workflow, string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", ".github", "workflows", name))
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	if err := yaml.Unmarshal(raw, &w); err != nil {
		t.Fatal(err)
	}
	return w, string(raw)
}

// TestDeployWorkflow: staging deploys only from main, production only from
// v* tags and in the production environment (its reviewers approve); both
// take OIDC credentials as a role, never stored keys, and run the health
// probe after the deploy.
func TestDeployWorkflow(t *testing.T) {
	w, raw := readWorkflow(t, "deploy.yml")
	if !slices.Equal(w.On.Push.Branches, []string{"main"}) || !slices.Equal(w.On.Push.Tags, []string{"v*"}) {
		t.Errorf("triggers: branches %v, tags %v", w.On.Push.Branches, w.On.Push.Tags)
	}
	if w.Permissions["id-token"] != "write" {
		t.Errorf("permissions %v: no id-token: write for OIDC", w.Permissions)
	}
	if strings.Contains(raw, "aws-access-key-id") || strings.Contains(raw, "secrets.") {
		t.Error("the workflow uses stored keys or secrets")
	}
	for job, want := range map[string]struct{ cond, env, deploy string }{
		"staging":    {"github.ref == 'refs/heads/main'", "", "make deploy ENV=staging"},
		"production": {"startsWith(github.ref, 'refs/tags/v')", "production", "make deploy ENV=prod"},
	} {
		j, ok := w.Jobs[job]
		if !ok {
			t.Errorf("no %s job", job)
			continue
		}
		if j.If != want.cond || j.Environment != want.env {
			t.Errorf("%s: if %q, environment %q; want %q, %q", job, j.If, j.Environment, want.cond, want.env)
		}
		credentials, deploy, probe := -1, -1, -1
		for i, s := range j.Steps {
			switch {
			case strings.HasPrefix(s.Uses, "aws-actions/configure-aws-credentials@"):
				credentials = i
				if s.With["role-to-assume"] == "" {
					t.Errorf("%s: credentials without role-to-assume", job)
				}
			case strings.Contains(s.Run, want.deploy):
				deploy = i
			case strings.Contains(s.Run, "./functions/healthprobe"):
				probe = i
				if !strings.Contains(s.Run, "|| [ $? -eq 1 ]") {
					t.Errorf("%s: the probe step %q does not fail on fail only", job, s.Run)
				}
			}
		}
		if credentials < 0 || deploy < credentials || probe < deploy {
			t.Errorf("%s: credentials at step %d, deploy %d, probe %d: want them in that order", job, credentials, deploy, probe)
		}
	}
	if len(w.Jobs) != 2 {
		t.Errorf("%d jobs, want staging and production", len(w.Jobs))
	}
}

// TestCIWorkflow: every change is linted, checked for vulnerabilities,
// tested, synthesized, built for both architectures and load tested.
func TestCIWorkflow(t *testing.T) {
	w, _ := readWorkflow(t, "ci.yml")
	var runs []string
	for _, j := range w.Jobs {
		for _, s := range j.Steps {
			runs = append(runs, s.Run)
		}
	}
	all := strings.Join(runs, "\n")
	for _, want := range []string{"make lint", "govulncheck", "bash .ci/run", "make synth", "LAMBDA_GOARCH=arm64", "LAMBDA_GOARCH=amd64", "./cmd/load"} {
		if !strings.Contains(all, want) {
			t.Errorf("ci.yml does not run %s", want)
		}
	}
}
