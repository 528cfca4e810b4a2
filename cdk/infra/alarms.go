package infra

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/umlimages/umlimages/internal/config"
)

// RunbooksPath is where every alarm's runbook section is.
const RunbooksPath = "docs/runbooks.md"

// alarm is one alarm as docs/operations.md asks: what it watches, when it
// fires, how bad it is (critical or warning, and the incident priority)
// and the runbook section that says what to do.
type alarm struct {
	id       string
	critical bool
	priority string // P1..P4
	runbook  string // the anchor in docs/runbooks.md
	what     string
	metric   awscloudwatch.IMetric
	// threshold, over periods of the metric's period, datapoints of them
	// breaching (0: all).
	threshold, periods, datapoints float64
	below                          bool // fires below the threshold, not above
	// missing is what no data means (0 value: not breaching).
	missing awscloudwatch.TreatMissingData
	// name, when set, is the alarm's name (for what must name it before
	// it exists: the Kroki service's deployment alarms).
	name string
}

// description is the alarm's first line for whoever is paged: severity,
// priority, what happened, and where the runbook is.
func (a alarm) description(where string) string {
	sev := "WARNING"
	if a.critical {
		sev = "CRITICAL"
	}
	return fmt.Sprintf("%s %s, %s: %s. Runbook: %s#%s", sev, a.priority, where, a.what, RunbooksPath, a.runbook)
}

// addAlarm builds a on topics (critical or warning), with alarm and OK
// actions, so incidents resolve.
func addAlarm(c constructs.Construct, where string, alerts *Alerts, a alarm) awscloudwatch.Alarm {
	topic := alerts.Warning
	if a.critical {
		topic = alerts.Critical
	}
	op := awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD
	if a.below {
		op = awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD
	}
	missing := a.missing
	if missing == "" {
		missing = awscloudwatch.TreatMissingData_NOT_BREACHING
	}
	datapoints := a.datapoints
	if datapoints == 0 {
		datapoints = a.periods
	}
	props := &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String(a.description(where)), Metric: a.metric, Threshold: jsii.Number(a.threshold),
		EvaluationPeriods: jsii.Number(a.periods), DatapointsToAlarm: jsii.Number(datapoints),
		ComparisonOperator: op, TreatMissingData: missing,
	}
	if a.name != "" {
		props.AlarmName = jsii.String(a.name)
	}
	al := awscloudwatch.NewAlarm(c, jsii.String(a.id), props)
	al.AddAlarmAction(awscloudwatchactions.NewSnsAction(topic))
	al.AddOkAction(awscloudwatchactions.NewSnsAction(topic))
	return al
}

// add builds a on this region's topics.
func (o *Ops) add(c constructs.Construct, a alarm) awscloudwatch.Alarm {
	al := addAlarm(c, o.where, &Alerts{Critical: o.Critical, Warning: o.Warning}, a)
	o.Alarms = append(o.Alarms, al)
	return al
}

var minute = awscdk.Duration_Minutes(jsii.Number(1))

func stat(s string) *awscloudwatch.MetricOptions {
	return &awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String(s)}
}

// rate is 100 × part / whole, 0 without traffic.
func rate(label string, part, whole awscloudwatch.IMetric) awscloudwatch.IMetric {
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression:   jsii.String("IF(whole > 0, 100 * part / whole, 0)"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{"part": part, "whole": whole},
		Period:       minute, Label: jsii.String(label),
	})
}

// containerInsights is a Kroki service metric from Container Insights.
func containerInsights(p OpsProps, name, statistic string) awscloudwatch.Metric {
	svc := p.Kroki.Service.Service()
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace: jsii.String("ECS/ContainerInsights"), MetricName: jsii.String(name),
		DimensionsMap: &map[string]*string{"ClusterName": svc.Cluster().ClusterName(), "ServiceName": svc.ServiceName()},
		Period:        minute, Statistic: jsii.String(statistic),
	})
}

// alarms are this region's rows of docs/operations.md's alerting table
// and the extras that keep the service honest (see the README's mapping).
func (o *Ops) alarms(c constructs.Construct, p OpsProps) {
	api, svc, render := p.API.Rest, p.Kroki.Service.Service(), p.API.Render.Fn
	byID := map[string]awscloudwatch.Alarm{}
	named := func(what string) string { return p.Env.prefix() + "-" + p.Role + "-" + what }
	for _, a := range []alarm{
		{id: "Downtime", critical: true, priority: "P1", runbook: "downtime", what: "the health probe fails this region 3 of 3 minutes",
			metric: probeMetric(p.Role), threshold: 1, periods: config.ProbeAlarmMinutes, below: true, missing: awscloudwatch.TreatMissingData_BREACHING},
		{id: "ErrorRate", critical: true, priority: "P1", runbook: "error-rate", what: "5xx responses over 5 % of requests for 5 minutes",
			metric: rate("5xx rate %", api.MetricServerError(stat("Sum")), api.MetricCount(stat("Sum"))), threshold: 5, periods: 5},
		{id: "LatencyP95", priority: "P3", runbook: "latency", what: "p95 latency over 2 s for 5 minutes",
			metric: api.MetricLatency(stat("p95")), threshold: 2000, periods: 5},
		{id: "RenderDurationP95", priority: "P3", runbook: "latency", what: "the render function's p95 duration over 2 s for 5 minutes",
			metric: render.MetricDuration(stat("p95")), threshold: 2000, periods: 5},
		{id: "KrokiCPU", priority: "P3", runbook: "cpu", what: "Kroki CPU over 80 % for 5 minutes",
			metric: svc.MetricCpuUtilization(stat("Average")), threshold: 80, periods: 5},
		{id: "KrokiMemory", name: named("kroki-memory"), critical: true, priority: "P2", runbook: "memory", what: "Kroki memory over 90 % for 5 minutes",
			metric: svc.MetricMemoryUtilization(stat("Average")), threshold: 90, periods: 5},
		{id: "RenderMemory", critical: true, priority: "P2", runbook: "memory", what: "the render function's memory over 90 % for 5 minutes",
			metric: awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
				Namespace: jsii.String(namespace), MetricName: jsii.String("MemoryUsedPercent"),
				DimensionsMap: &map[string]*string{"Service": jsii.String("render")}, Period: minute, Statistic: jsii.String("Maximum"),
			}), threshold: 90, periods: 5},
		{id: "KrokiDisk", critical: true, priority: "P2", runbook: "disk", what: "Kroki's free ephemeral storage under 10 % for 5 minutes",
			metric: rate("free storage %", awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
				Expression:   jsii.String("reserved - used"),
				UsingMetrics: &map[string]awscloudwatch.IMetric{"reserved": containerInsights(p, "EphemeralStorageReserved", "Average"), "used": containerInsights(p, "EphemeralStorageUtilized", "Average")},
				Period:       minute,
			}), containerInsights(p, "EphemeralStorageReserved", "Average")),
			threshold: 10, periods: 5, below: true},
		{id: "Queue", priority: "P3", runbook: "queue", what: "over 100 requests in flight in the render function for 5 minutes",
			metric: render.Metric(jsii.String("ConcurrentExecutions"), stat("Maximum")), threshold: 100, periods: 5},
		{id: "KrokiTasks", critical: true, priority: "P2", runbook: "kroki-tasks", what: fmt.Sprintf("fewer than %d Kroki tasks running for 5 minutes", p.Env.KrokiReplicas),
			metric: containerInsights(p, "RunningTaskCount", "Minimum"), threshold: float64(p.Env.KrokiReplicas), periods: 5, below: true,
			missing: awscloudwatch.TreatMissingData_BREACHING},
		{id: "UnhealthyTargets", name: named("kroki-unhealthy-targets"), priority: "P2", runbook: "unhealthy-targets", what: "a Kroki target unhealthy for 5 minutes",
			metric: p.Kroki.Service.TargetGroup().Metrics().UnhealthyHostCount(stat("Maximum")), threshold: 0, periods: 5},
	} {
		byID[a.id] = o.add(c, a)
	}
	// A Kroki deploy rolls back on the circuit breaker (tasks that never
	// become healthy) and on these alarms.
	svc.EnableDeploymentAlarms(&[]*string{jsii.String(named("kroki-unhealthy-targets")), jsii.String(named("kroki-memory"))},
		&awsecs.DeploymentAlarmOptions{Behavior: awsecs.AlarmBehavior_ROLLBACK_ON_ALARM})
	o.watch(c, "Render", p.API.Render, awscodedeploy.LambdaDeploymentConfig_CANARY_10PERCENT_5MINUTES(), byID["LatencyP95"])
	o.watch(c, "HealthProbe", o.Probe, nil)
	target := other(p.Role)
	if _, ok := p.ProbeTargets[target]; !ok {
		return
	}
	a := alarm{id: "ProbeFailing", priority: "P2", runbook: "other-region-down",
		what:   "the health probe fails the standby 3 of 3 minutes: it could not take over",
		metric: probeMetric(target), threshold: 1, periods: config.ProbeAlarmMinutes, below: true, missing: awscloudwatch.TreatMissingData_BREACHING}
	if p.Role == standbyRole {
		a.critical, a.priority, a.what = true, "P1", "the health probe fails the primary 3 of 3 minutes: fail over to the standby"
	}
	o.OtherFailing = o.add(c, a)
}

// watch adds a function's own alarms (errors, throttles and, for those
// invoked asynchronously, any message in its dead-letter queue) and its
// deployment: CodeDeploy moves the live alias to a new version by config
// (nil: all at once), and rolls back when the errors alarm or any of
// rollback fires.
func (o *Ops) watch(c constructs.Construct, name string, fn *Function, config awscodedeploy.ILambdaDeploymentConfig, rollback ...awscloudwatch.Alarm) {
	five := &awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Sum")}
	errors := o.add(c, alarm{id: name + "Errors", critical: true, priority: "P2", runbook: "function-errors",
		what: "the " + name + " function failed invocations for 10 minutes", metric: fn.Fn.MetricErrors(five), threshold: 0, periods: 2})
	if config == nil {
		config = awscodedeploy.LambdaDeploymentConfig_ALL_AT_ONCE()
	}
	alarms := []interfacesawscloudwatch.IAlarmRef{errors}
	for _, a := range rollback {
		alarms = append(alarms, a)
	}
	awscodedeploy.NewLambdaDeploymentGroup(c, jsii.String(name+"Deployment"), &awscodedeploy.LambdaDeploymentGroupProps{
		Alias: fn.Live, DeploymentConfig: config, Alarms: &alarms,
		AutoRollback: &awscodedeploy.AutoRollbackConfig{FailedDeployment: jsii.Bool(true), StoppedDeployment: jsii.Bool(true), DeploymentInAlarm: jsii.Bool(true)},
	})
	o.add(c, alarm{id: name + "Throttles", priority: "P3", runbook: "throttles",
		what: "the " + name + " function was throttled for 10 minutes", metric: fn.Fn.MetricThrottles(five), threshold: 0, periods: 2})
	if fn.DLQ != nil {
		o.add(c, alarm{id: name + "DeadLetters", critical: true, priority: "P2", runbook: "dead-letters",
			what:   "a message in the " + name + " function's dead-letter queue",
			metric: fn.DLQ.MetricApproximateNumberOfMessagesVisible(stat("Maximum")), threshold: 0, periods: 1})
	}
}
