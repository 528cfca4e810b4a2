package templatetests

import "testing"

func TestKroki(t *testing.T) {
	for _, name := range []string{"UmlImages-prod-Primary", "UmlImages-prod-Standby"} {
		tpl := stack(t, name)
		tasks := tpl.ofType("AWS::ECS::TaskDefinition")
		if len(tasks) != 1 {
			t.Fatalf("%s: %d task definitions", name, len(tasks))
		}
		for _, task := range tasks {
			has(t, name+" task", task.Properties["ContainerDefinitions"],
				`"Name":"KROKI_SAFE_MODE","Value":"secure"`, `"Name":"kroki"`,
				`"Name":"kroki-mermaid"`, `"Name":"kroki-bpmn"`, `"Name":"kroki-excalidraw"`, `"Name":"kroki-diagramsnet"`,
				`"Name":"KROKI_MERMAID_HOST","Value":"localhost"`, `"HealthCheck"`)
			if task.Properties["Cpu"] != "1024" {
				t.Errorf("%s: task CPU %v, want 1 vCPU (1024) in prod", name, task.Properties["Cpu"])
			}
		}
		for _, svc := range tpl.ofType("AWS::ECS::Service") {
			if svc.Properties["DesiredCount"] != 3.0 {
				t.Errorf("%s: %v replicas, want the 3 of docs/operations.md", name, svc.Properties["DesiredCount"])
			}
			has(t, name+" service network", svc.Properties["NetworkConfiguration"], `"AssignPublicIp":"DISABLED"`)
		}
		for _, lb := range tpl.ofType("AWS::ElasticLoadBalancingV2::LoadBalancer") {
			if lb.Properties["Scheme"] != "internal" {
				t.Errorf("%s: load balancer scheme %v", name, lb.Properties["Scheme"])
			}
		}
		for _, tg := range tpl.ofType("AWS::ElasticLoadBalancingV2::TargetGroup") {
			if tg.Properties["HealthCheckPath"] != "/health" {
				t.Errorf("%s: target health check %v", name, tg.Properties["HealthCheckPath"])
			}
		}
		for _, cl := range tpl.ofType("AWS::ECS::Cluster") {
			has(t, name+" cluster", cl.Properties["ClusterSettings"], `"containerInsights"`)
		}
		if len(tpl.ofType("AWS::ApplicationAutoScaling::ScalingPolicy")) == 0 {
			t.Errorf("%s: no autoscaling policy", name)
		}
		for id, sub := range tpl.ofType("AWS::EC2::Subnet") {
			if sub.Properties["MapPublicIpOnLaunch"] == true {
				t.Errorf("%s %s: a public subnet", name, id)
			}
		}
		if n := len(tpl.ofType("AWS::EC2::NatGateway")) + len(tpl.ofType("AWS::EC2::InternetGateway")); n != 0 {
			t.Errorf("%s: %d gateways to the internet; Kroki's tasks must have no route out", name, n)
		}
	}
}
