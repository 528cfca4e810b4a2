// Package templatetests checks the synthesized CloudFormation: each
// concern's intent in its own file, every-function invariants, cdk-nag
// with no unacknowledged finding, and a normalised snapshot per
// environment. The app is synthesized once per test binary, with
// placeholder function assets (no build needed).
package templatetests

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/umlimages/umlimages/cdk/infra"
)

// Template is one synthesized stack.
type Template struct {
	Name      string
	Stack     awscdk.Stack
	Resources map[string]Resource
}

// Resource is a template resource.
type Resource struct {
	Type           string         `json:"Type"`
	Properties     map[string]any `json:"Properties"`
	Metadata       map[string]any `json:"Metadata"`
	DeletionPolicy string         `json:"DeletionPolicy"`
	UpdatePolicy   map[string]any `json:"UpdatePolicy"`
}

// deployments are the context each environment is synthesized with, as a
// deployer gives it (-c key=value): dev on the table's defaults, staging
// and prod with a domain.
var deployments = map[string]map[string]string{
	"dev": {"env": "dev"},
	"staging": {"env": "staging", "domain": "diagrams-staging.acme.test", "hostedZoneId": "Z0ACMESTAGING",
		"hostedZoneName": "acme.test", "alarmEmail": "ops-staging@acme.test", "githubRepository": "acme/uml-images"},
	"prod": {"env": "prod", "domain": "diagrams.acme.test", "hostedZoneId": "Z0ACMEPROD",
		"hostedZoneName": "acme.test", "alarmEmail": "ops@acme.test",
		"slackWorkspaceId": "T0ACMETEST", "slackChannelId": "C0ACMETEST", "pagerDutySecretName": "uml-images/pagerduty",
		"githubRepository": "acme/uml-images"},
}

var (
	once      sync.Once
	templates map[string]*Template // by stack name, e.g. UmlImages-prod-Primary
	envs      map[string]infra.Env // as configured, by name
	assembly  string               // the cloud assembly's directory
	synthErr  error
)

// synth builds every environment once, with placeholder assets.
func synth(t *testing.T) map[string]*Template {
	t.Helper()
	once.Do(func() {
		defer func() {
			if p := recover(); p != nil {
				synthErr = fmt.Errorf("synth panicked: %v", p)
			}
		}()
		assets, err := os.MkdirTemp("", "placeholder-assets-")
		if err != nil {
			synthErr = err
			return
		}
		web := filepath.Join(assets, "web")
		os.MkdirAll(web, 0o755)
		os.WriteFile(filepath.Join(web, "index.html"), []byte("placeholder"), 0o644)
		for _, fn := range []string{"render", "backup", "healthprobe", "failover"} {
			os.MkdirAll(filepath.Join(assets, fn), 0o755)
			os.WriteFile(filepath.Join(assets, fn, "bootstrap"), []byte("placeholder"), 0o755)
		}
		app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]any{
			"aws:cdk:enable-asset-metadata":             true,
			"@aws-cdk/core:defaultCrossStackReferences": "strong",
		}})
		templates, envs = map[string]*Template{}, map[string]infra.Env{}
		for _, n := range environments() {
			configured, err := infra.Configure(func(k string) string { return deployments[n][k] })
			if err != nil {
				synthErr = err
				return
			}
			e := configured[0]
			envs[n] = e
			s := infra.NewSystem(app, e, infra.Paths{BuildDir: assets, WebDir: web, ImagesDir: filepath.Join("..", "cdk", "images"),
				ImageDigests: map[string]string{"kroki": "sha256:" + strings.Repeat("ab", 32)}})
			for _, st := range []awscdk.Stack{s.Edge, s.Standby, s.Primary, s.Monitor} {
				templates[*st.StackName()] = &Template{Name: *st.StackName(), Stack: st}
			}
		}
		infra.Check(app)
		assembly = *infra.Synth(app)
		for _, tpl := range templates {
			raw, _ := json.Marshal(assertions.Template_FromStack(tpl.Stack, nil).ToJSON())
			var doc struct {
				Resources map[string]Resource `json:"Resources"`
			}
			if err := json.Unmarshal(raw, &doc); err != nil {
				synthErr = err
				return
			}
			tpl.Resources = doc.Resources
		}
	})
	if synthErr != nil {
		t.Fatal(synthErr)
	}
	return templates
}

func stack(t *testing.T, name string) *Template {
	t.Helper()
	tpl, ok := synth(t)[name]
	if !ok {
		t.Fatalf("no stack %s", name)
	}
	return tpl
}

// ofType returns a template's resources of a type, by logical id.
func (tpl *Template) ofType(typ string) map[string]Resource {
	out := map[string]Resource{}
	for id, r := range tpl.Resources {
		if r.Type == typ {
			out[id] = r
		}
	}
	return out
}

// ours are the Lambda functions built from our Go code.
func (tpl *Template) ours() map[string]Resource {
	out := map[string]Resource{}
	for id, r := range tpl.ofType("AWS::Lambda::Function") {
		if r.Properties["Handler"] == "bootstrap" {
			out[id] = r
		}
	}
	return out
}

// js renders a value as JSON, for matching inside nested properties.
func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func has(t *testing.T, what string, v any, parts ...string) {
	t.Helper()
	s := js(v)
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Errorf("%s lacks %s: %.400s", what, p, s)
		}
	}
}

func environments() []string { return []string{"dev", "staging", "prod"} }

func jsiiStr(s string) *string { return jsii.String(s) }

// decode reads a template value (or raw JSON) into out.
func decode(t *testing.T, v any, out any) {
	t.Helper()
	raw, ok := v.([]byte)
	if !ok {
		raw, _ = json.Marshal(v)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("decode %.200s: %v", raw, err)
	}
}
