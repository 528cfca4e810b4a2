package templatetests

import (
	"strings"
	"testing"
)

// TestFunctionsDeployThroughLiveAliases: every function is published as a
// version behind a `live` alias that CodeDeploy moves: a canary (10 % for
// 5 minutes) for render, all at once for the others, rolled back by the
// function's errors alarm (and, for render, the API's p95 latency alarm);
// the API, every schedule and the failover's triggers invoke the alias.
func TestFunctionsDeployThroughLiveAliases(t *testing.T) {
	functions := map[string]struct{ config, parts string }{
		"ApiRender":      {"CodeDeployDefault.LambdaCanary10Percent5Minutes", "Primary Standby"},
		"OpsHealthProbe": {"CodeDeployDefault.LambdaAllAtOnce", "Primary Standby"},
		"Backup":         {"CodeDeployDefault.LambdaAllAtOnce", "Primary Standby"},
		"Failover":       {"CodeDeployDefault.LambdaAllAtOnce", "Standby"},
	}
	for _, part := range []string{"Primary", "Standby"} {
		tpl := stack(t, "UmlImages-prod-"+part)
		groups := tpl.ofType("AWS::CodeDeploy::DeploymentGroup")
		for prefix, want := range functions {
			if !strings.Contains(want.parts, part) {
				continue
			}
			var alias Resource
			var aliasID string
			for id, a := range tpl.ofType("AWS::Lambda::Alias") {
				if ref, _ := asMap(a.Properties["FunctionName"])["Ref"].(string); strings.HasPrefix(ref, prefix+"Function") {
					alias, aliasID = a, id
				}
			}
			if aliasID == "" {
				t.Errorf("%s %s: no alias", part, prefix)
				continue
			}
			if alias.Properties["Name"] != "live" || !strings.Contains(js(alias.Properties["FunctionVersion"]), "CurrentVersion") {
				t.Errorf("%s %s: alias %s", part, prefix, js(alias.Properties))
			}
			update := js(alias.UpdatePolicy["CodeDeployLambdaAliasUpdate"])
			var group Resource
			for id, g := range groups {
				if strings.Contains(update, id) {
					group = g
				}
			}
			if group.Properties == nil {
				t.Errorf("%s %s: the alias is not updated by a CodeDeploy deployment group (%s)", part, prefix, update)
				continue
			}
			if group.Properties["DeploymentConfigName"] != want.config {
				t.Errorf("%s %s: deployment config %v, want %s", part, prefix, group.Properties["DeploymentConfigName"], want.config)
			}
			alarms := js(group.Properties["AlarmConfiguration"])
			if !strings.Contains(alarms, "Errors") || !strings.Contains(js(group.Properties["AutoRollbackConfiguration"]), "DEPLOYMENT_STOP_ON_ALARM") {
				t.Errorf("%s %s: rollback %s", part, prefix, alarms)
			}
			if prefix == "ApiRender" && !strings.Contains(alarms, "LatencyP95") {
				t.Errorf("%s render: the canary does not roll back on the API's p95 latency: %s", part, alarms)
			}
		}
		for id, r := range tpl.ofType("AWS::Events::Rule") {
			for _, target := range asList(r.Properties["Targets"]) {
				arn := js(asMap(target)["Arn"])
				if strings.Contains(arn, "Function") && !strings.Contains(arn, "Live") {
					t.Errorf("%s rule %s invokes %s, not a live alias", part, id, arn)
				}
			}
		}
		for id, m := range tpl.ofType("AWS::ApiGateway::Method") {
			if uri := js(asMap(m.Properties["Integration"])["Uri"]); strings.Contains(uri, "lambda:path") && !strings.Contains(uri, "RenderLive") {
				t.Errorf("%s method %s integrates %s, not the live alias", part, id, uri)
			}
		}
	}
}

// TestKrokiDeploysRollBack: a Kroki deploy rolls back on the circuit
// breaker and on the unhealthy-targets and memory alarms, which exist.
func TestKrokiDeploysRollBack(t *testing.T) {
	for _, part := range []string{"Primary", "Standby"} {
		tpl := stack(t, "UmlImages-prod-"+part)
		names := map[string]bool{}
		for _, a := range tpl.ofType("AWS::CloudWatch::Alarm") {
			if n, ok := a.Properties["AlarmName"].(string); ok {
				names[n] = true
			}
		}
		for _, svc := range tpl.ofType("AWS::ECS::Service") {
			dc := asMap(svc.Properties["DeploymentConfiguration"])
			breaker, alarms := asMap(dc["DeploymentCircuitBreaker"]), asMap(dc["Alarms"])
			if breaker["Rollback"] != true || alarms["Rollback"] != true || alarms["Enable"] != true {
				t.Errorf("%s: deployment configuration %s", part, js(dc))
			}
			watched := asList(alarms["AlarmNames"])
			for _, n := range watched {
				if !names[n.(string)] {
					t.Errorf("%s: the Kroki deploy watches alarm %v, which is not in the stack", part, n)
				}
			}
			if len(watched) != 2 {
				t.Errorf("%s: the Kroki deploy watches %d alarms, want the unhealthy targets and memory", part, len(watched))
			}
		}
	}
}

// TestDeployRole: with githubRepository, the primary stack holds GitHub's
// OIDC provider and a deploy role trusting one repository and one subject
// (staging: the main branch; production: the production environment),
// allowed only to assume the CDK bootstrap roles; without it, neither.
func TestDeployRole(t *testing.T) {
	for env, subject := range map[string]string{
		"staging": "repo:acme/uml-images:ref:refs/heads/main",
		"prod":    "repo:acme/uml-images:environment:production",
	} {
		tpl := stack(t, "UmlImages-"+env+"-Primary")
		providers := tpl.ofType("AWS::IAM::OIDCProvider")
		if len(providers) != 1 {
			t.Fatalf("%s: %d OIDC providers", env, len(providers))
		}
		for _, p := range providers {
			if p.Properties["Url"] != "https://token.actions.githubusercontent.com" || js(p.Properties["ClientIdList"]) != `["sts.amazonaws.com"]` {
				t.Errorf("%s: provider %s", env, js(p.Properties))
			}
		}
		found := false
		for id, r := range tpl.ofType("AWS::IAM::Role") {
			doc := asMap(r.Properties["AssumeRolePolicyDocument"])
			if !strings.Contains(js(doc), "AssumeRoleWithWebIdentity") {
				continue
			}
			found = true
			if err := narrowTrust(doc, "acme/uml-images"); err != "" {
				t.Errorf("%s %s: %s", env, id, err)
			}
			if got := js(doc); !strings.Contains(got, `"`+subject+`"`) {
				t.Errorf("%s: trust %s, want the subject %s", env, got, subject)
			}
		}
		if !found {
			t.Errorf("%s: no deploy role", env)
		}
		for id, p := range tpl.ofType("AWS::IAM::Policy") {
			if !strings.HasPrefix(id, "DeployRole") {
				continue
			}
			for _, st := range asList(asMap(p.Properties["PolicyDocument"])["Statement"]) {
				s := asMap(st)
				if s["Action"] != "sts:AssumeRole" || !strings.Contains(js(s["Resource"]), ":role/cdk-hnb659fds-") {
					t.Errorf("%s: the deploy role may %s on %s", env, js(s["Action"]), js(s["Resource"]))
				}
			}
		}
	}
	if n := len(stack(t, "UmlImages-dev-Primary").ofType("AWS::IAM::OIDCProvider")); n != 0 {
		t.Errorf("dev (no githubRepository): %d OIDC providers", n)
	}
}

// narrowTrust says what is wrong with a web-identity trust policy, or ""
// when each statement requires the audience and an exact subject of repo.
func narrowTrust(doc map[string]any, repo string) string {
	for _, st := range asList(doc["Statement"]) {
		cond := asMap(asMap(st)["Condition"])
		equals := asMap(cond["StringEquals"])
		if equals["token.actions.githubusercontent.com:aud"] != "sts.amazonaws.com" {
			return "the audience is not required to be sts.amazonaws.com"
		}
		if len(asMap(cond["StringLike"])) > 0 {
			return "a StringLike condition: a pattern admits other repositories or refs"
		}
		sub, ok := equals["token.actions.githubusercontent.com:sub"].(string)
		if !ok || strings.ContainsAny(sub, "*?") || !strings.HasPrefix(sub, "repo:"+repo+":") {
			return "the subject is not exactly one of " + repo + "'s"
		}
	}
	return ""
}

// TestNarrowTrustRefusesWideTrust: the trust check fails trust that admits
// any repository, any ref, or any audience.
func TestNarrowTrustRefusesWideTrust(t *testing.T) {
	policy := func(cond map[string]any) map[string]any {
		return map[string]any{"Statement": []any{map[string]any{"Condition": cond}}}
	}
	aud := "token.actions.githubusercontent.com:aud"
	sub := "token.actions.githubusercontent.com:sub"
	for name, cond := range map[string]map[string]any{
		"any repository": {"StringEquals": map[string]any{aud: "sts.amazonaws.com"}, "StringLike": map[string]any{sub: "repo:*"}},
		"any ref":        {"StringEquals": map[string]any{aud: "sts.amazonaws.com"}, "StringLike": map[string]any{sub: "repo:acme/uml-images:*"}},
		"a wildcard":     {"StringEquals": map[string]any{aud: "sts.amazonaws.com", sub: "repo:acme/uml-images:ref:*"}},
		"another repo":   {"StringEquals": map[string]any{aud: "sts.amazonaws.com", sub: "repo:evil/uml-images:ref:refs/heads/main"}},
		"no subject":     {"StringEquals": map[string]any{aud: "sts.amazonaws.com"}},
		"no audience":    {"StringEquals": map[string]any{sub: "repo:acme/uml-images:ref:refs/heads/main"}},
	} {
		if narrowTrust(policy(cond), "acme/uml-images") == "" {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := narrowTrust(policy(map[string]any{"StringEquals": map[string]any{aud: "sts.amazonaws.com", sub: "repo:acme/uml-images:environment:production"}}), "acme/uml-images"); err != "" {
		t.Errorf("the narrow trust refused: %s", err)
	}
}
