package infra

import (
	"encoding/json"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/umlimages/umlimages/internal/config"
)

// Metric namespace of our EMF records.
const namespace = config.DefaultNamespace

// Region roles.
const (
	primaryRole = "primary"
	standbyRole = "standby"
)

func other(role string) string {
	if role == primaryRole {
		return standbyRole
	}
	return primaryRole
}

// OpsProps configure one region's operations.
type OpsProps struct {
	Env      Env
	BuildDir string
	// Role is this region's: primary or standby.
	Role  string
	API   *API
	Kroki *Kroki
	// ProbeTargets are the URLs the probe checks, by region role; each
	// region probes both where it can.
	ProbeTargets map[string]string
	// OriginSecret passes the probes through the origin lock.
	OriginSecret string
}

// Ops is one region's monitoring, independent of the other region: the
// health probe (every minute, probing both regions), the alarms of docs/operations.md on
// this region's API and Kroki, the probe alarm on the other region, two
// SNS topics and a dashboard.
type Ops struct {
	constructs.Construct
	Probe             *Function
	Critical, Warning awssns.Topic
	Alarms            []awscloudwatch.Alarm
	// OtherFailing is the alarm on the other region's probe verdict (in
	// the standby it starts the failover).
	OtherFailing awscloudwatch.Alarm
}

// NewOps builds a region's operations.
func NewOps(scope constructs.Construct, id string, p OpsProps) *Ops {
	c := constructs.NewConstruct(scope, jsii.String(id))
	o := &Ops{Construct: c}
	alerts := NewAlerts(c, "Alerts", p.Env, p.Role)
	o.Critical, o.Warning = alerts.Critical, alerts.Warning

	o.Probe = NewFunction(c, "HealthProbe", FunctionProps{
		Name: "healthprobe", BuildDir: p.BuildDir, Async: true,
		Timeout: awscdk.Duration_Seconds(jsii.Number(50)), MemoryMB: 256,
		Environment: map[string]string{config.EnvOriginSecret: p.OriginSecret},
	})
	var targets []map[string]string
	for _, name := range []string{primaryRole, standbyRole} {
		if url, ok := p.ProbeTargets[name]; ok {
			targets = append(targets, map[string]string{"name": name, "url": url})
		}
	}
	schedule(c, "Probe", awsevents.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(1))), o.Probe, map[string]any{"targets": targets})

	o.alarms(c, p)
	o.dashboard(c, p)
	return o
}

// schedule runs fn on s with input, retrying into its dead-letter queue.
func schedule(c constructs.Construct, name string, s awsevents.Schedule, fn *Function, input any) {
	raw, _ := json.Marshal(input)
	var obj map[string]any
	json.Unmarshal(raw, &obj)
	awsevents.NewRule(c, jsii.String(name), &awsevents.RuleProps{
		Schedule: s,
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(fn.Fn, &awseventstargets.LambdaFunctionProps{
			Event: awsevents.RuleTargetInput_FromObject(obj), DeadLetterQueue: fn.DLQ, RetryAttempts: jsii.Number(2),
		})},
	})
}

func (o *Ops) add(c constructs.Construct, id string, topic awssns.Topic, props *awscloudwatch.AlarmProps) awscloudwatch.Alarm {
	a := awscloudwatch.NewAlarm(c, jsii.String(id), props)
	a.AddAlarmAction(awscloudwatchactions.NewSnsAction(topic))
	a.AddOkAction(awscloudwatchactions.NewSnsAction(topic))
	o.Alarms = append(o.Alarms, a)
	return a
}

// probeMetric is the probe's verdict on a region, as this region's probe
// reports it.
func probeMetric(target string) awscloudwatch.Metric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace: jsii.String(namespace), MetricName: jsii.String("ProbeAvailability"),
		DimensionsMap: &map[string]*string{"Target": jsii.String(target)}, Period: awscdk.Duration_Minutes(jsii.Number(1)),
		Statistic: jsii.String("Minimum"),
	})
}

// alarms are those of docs/operations.md, on this region: 5xx rate > 5 % for 5 min
// (critical), p95 latency > 2 s (warning), Kroki CPU > 80 % (warning),
// memory > 90 % (critical); and the probe failing the other region 3 of 3
// minutes (in the standby: critical, and it starts the failover; in the
// primary: a warning that the standby could not take over).
func (o *Ops) alarms(c constructs.Construct, p OpsProps) {
	minute := awscdk.Duration_Minutes(jsii.Number(1))
	api := p.API.Rest
	errorRate := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("IF(requests > 0, 100 * errors / requests, 0)"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"errors":   api.MetricServerError(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("Sum")}),
			"requests": api.MetricCount(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("Sum")}),
		},
		Period: minute, Label: jsii.String("5xx rate %"),
	})
	o.add(c, "ErrorRate", o.Critical, &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String(p.Role + ": 5xx responses over 5 % of requests for 5 minutes"),
		Metric:           errorRate, Threshold: jsii.Number(5), EvaluationPeriods: jsii.Number(5), DatapointsToAlarm: jsii.Number(5),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, TreatMissingData: awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	o.add(c, "LatencyP95", o.Warning, &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String(p.Role + ": p95 latency over 2 s for 5 minutes"),
		Metric:           api.MetricLatency(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("p95")}),
		Threshold:        jsii.Number(2000), EvaluationPeriods: jsii.Number(5), DatapointsToAlarm: jsii.Number(5),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, TreatMissingData: awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	svc := p.Kroki.Service.Service()
	o.add(c, "KrokiCPU", o.Warning, &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String(p.Role + ": Kroki CPU over 80 % for 5 minutes"),
		Metric:           svc.MetricCpuUtilization(&awscloudwatch.MetricOptions{Period: minute}),
		Threshold:        jsii.Number(80), EvaluationPeriods: jsii.Number(5),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
	})
	o.add(c, "KrokiMemory", o.Critical, &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String(p.Role + ": Kroki memory over 90 % for 5 minutes"),
		Metric:           svc.MetricMemoryUtilization(&awscloudwatch.MetricOptions{Period: minute}),
		Threshold:        jsii.Number(90), EvaluationPeriods: jsii.Number(5),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
	})
	target := other(p.Role)
	if _, ok := p.ProbeTargets[target]; !ok {
		return
	}
	topic, desc := o.Warning, "the health probe fails the standby 3 of 3 minutes: it could not take over"
	if p.Role == standbyRole {
		topic, desc = o.Critical, "the health probe fails the primary 3 of 3 minutes: fail over to the standby"
	}
	o.OtherFailing = o.add(c, "ProbeFailing", topic, &awscloudwatch.AlarmProps{
		AlarmName:        jsii.String(p.Env.prefix() + "-" + p.Role + "-probe-" + target + "-failing"),
		AlarmDescription: jsii.String(desc),
		Metric:           probeMetric(target),
		Threshold:        jsii.Number(1), EvaluationPeriods: jsii.Number(config.ProbeAlarmMinutes), DatapointsToAlarm: jsii.Number(config.ProbeAlarmMinutes),
		ComparisonOperator: awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD, TreatMissingData: awscloudwatch.TreatMissingData_BREACHING,
	})
}

func (o *Ops) dashboard(c constructs.Construct, p OpsProps) {
	minute := awscdk.Duration_Minutes(jsii.Number(1))
	api := p.API.Rest
	emf := func(name, stat string, dims map[string]string) awscloudwatch.Metric {
		d := map[string]*string{}
		for k, v := range dims {
			d[k] = jsii.String(v)
		}
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(namespace), MetricName: jsii.String(name), DimensionsMap: &d, Period: minute, Statistic: jsii.String(stat),
		})
	}
	graph := func(title string, metrics ...awscloudwatch.IMetric) awscloudwatch.IWidget {
		return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String(title), Left: &metrics, Width: jsii.Number(8)})
	}
	svc := p.Kroki.Service.Service()
	render := map[string]string{"Service": "render"}
	dash := awscloudwatch.NewDashboard(c, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{DashboardName: jsii.String(p.Env.prefix() + "-" + p.Role)})
	dash.AddWidgets(
		graph("Requests", api.MetricCount(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("Sum")})),
		graph("Latency p50 / p95 / p99 (ms)",
			api.MetricLatency(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("p50")}),
			api.MetricLatency(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("p95")}),
			api.MetricLatency(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("p99")})),
		graph("Errors", api.MetricServerError(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("Sum")}),
			api.MetricClientError(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("Sum")})),
	)
	dash.AddWidgets(
		graph("Cache hits and misses", emf("CacheHit", "Sum", render), emf("CacheMiss", "Sum", render)),
		graph("Kroki CPU / memory (%)", svc.MetricCpuUtilization(nil), svc.MetricMemoryUtilization(nil)),
		graph("Probe availability, seen from "+p.Role, probeMetric(primaryRole), probeMetric(standbyRole)),
	)
	dash.AddWidgets(
		graph("Kroki errors", emf("KrokiErrorUnavailable", "Sum", render), emf("KrokiErrorTimeout", "Sum", render), emf("KrokiErrorDiagram", "Sum", render)),
		awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{Title: jsii.String("Alarms"), Alarms: alarmsOf(o.Alarms), Width: jsii.Number(16)}),
	)
}

func alarmsOf(as []awscloudwatch.Alarm) *[]interfacesawscloudwatch.IAlarmRef {
	out := make([]interfacesawscloudwatch.IAlarmRef, len(as))
	for i, a := range as {
		out[i] = a
	}
	return &out
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
