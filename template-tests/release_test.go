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
