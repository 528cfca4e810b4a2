package templatetests

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"

	"github.com/umlimages/umlimages/cdk/infra"
)

// TestContextConfiguresADeployment: the settings given as context are in
// the templates, and none of the table's example values is anywhere.
func TestContextConfiguresADeployment(t *testing.T) {
	all := ""
	for name, tpl := range synth(t) {
		s := js(assertions.Template_FromStack(tpl.Stack, nil).ToJSON())
		all += s
		if strings.HasPrefix(name, "UmlImages-staging-") && name != "UmlImages-staging-Edge" && !strings.Contains(s, "acme.test") {
			t.Errorf("%s: the context's domain is not used", name)
		}
	}
	for _, want := range []string{"diagrams-staging.acme.test", "Z0ACMESTAGING", "ops-staging@acme.test", "diagrams.acme.test", "Z0ACMEPROD"} {
		if !strings.Contains(all, want) {
			t.Errorf("context value %s is not in the templates", want)
		}
	}
	for _, placeholder := range []string{"example.com", "Z0000000000", "oncall"} {
		if strings.Contains(all, placeholder) {
			t.Errorf("a placeholder %q is in the templates", placeholder)
		}
	}
}

// TestContextErrors: inconsistent settings fail the synth naming the keys.
func TestContextErrors(t *testing.T) {
	for _, c := range []struct {
		ctx  map[string]string
		want []string
	}{
		{map[string]string{"env": "staging", "domain": "d.acme.test"}, []string{"hostedZoneId", "hostedZoneName"}},
		{map[string]string{"env": "staging", "hostedZoneId": "Z1", "hostedZoneName": "acme.test"}, []string{"domain"}},
		{map[string]string{"env": "prod", "domain": "d.other.test", "hostedZoneId": "Z1", "hostedZoneName": "acme.test"}, []string{"not inside hostedZoneName"}},
		{map[string]string{"env": "prod", "alarmEmail": "nobody"}, []string{"alarmEmail"}},
		{map[string]string{"env": "prod", "standbyRegion": "eu-west-1"}, []string{"primaryRegion", "standbyRegion"}},
		{map[string]string{"env": "prod", "account": "12345"}, []string{"account"}},
		{map[string]string{"env": "qa"}, []string{"unknown environment"}},
		{map[string]string{"domain": "d.acme.test"}, []string{"env"}},
	} {
		_, err := infra.Configure(func(k string) string { return c.ctx[k] })
		for _, w := range c.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%v: error %v, want it to name %s", c.ctx, err, w)
			}
		}
	}
	envs, err := infra.Configure(func(string) string { return "" })
	if err != nil || len(envs) != 3 {
		t.Errorf("no context: %d environments, %v", len(envs), err)
	}
	for _, e := range envs {
		if e.Domain != "" || e.HostedZoneID != "" || e.HostedZoneName != "" || e.AlarmEmail != "" || e.Account != "" {
			t.Errorf("%s: the table names a deployment's own settings (%+v); they come from context", e.Name, e)
		}
	}
}

func TestParseDigests(t *testing.T) {
	d := "sha256:" + strings.Repeat("0f", 32)
	got, err := infra.ParseDigests(" kroki=" + d + ",kroki-mermaid=" + d + ",")
	if err != nil || got["kroki"] != d || got["kroki-mermaid"] != d || len(got) != 2 {
		t.Errorf("%v, %v", got, err)
	}
	for _, bad := range []string{"kroki=latest", "nginx=" + d, "kroki=sha256:abc"} {
		if _, err := infra.ParseDigests(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
