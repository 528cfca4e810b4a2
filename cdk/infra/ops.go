package infra

import (
	"encoding/json"
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
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
	where             string // the region's name in alarm descriptions
	// OtherFailing is the alarm on the other region's probe verdict (in
	// the standby it starts the failover).
	OtherFailing awscloudwatch.Alarm
}

// NewOps builds a region's operations.
func NewOps(scope constructs.Construct, id string, p OpsProps) *Ops {
	c := constructs.NewConstruct(scope, jsii.String(id))
	o := &Ops{Construct: c, where: p.Env.Name + " " + p.Role}
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
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(fn.Live, &awseventstargets.LambdaFunctionProps{
			Event: awsevents.RuleTargetInput_FromObject(obj), DeadLetterQueue: fn.DLQ, RetryAttempts: jsii.Number(2),
		})},
	})
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
	// graph draws metrics, with the thresholds of the alarms on them.
	graph := func(title string, thresholds map[string]float64, metrics ...awscloudwatch.IMetric) awscloudwatch.IWidget {
		var lines []*awscloudwatch.HorizontalAnnotation
		for label, v := range thresholds {
			lines = append(lines, &awscloudwatch.HorizontalAnnotation{Value: jsii.Number(v), Label: jsii.String(label)})
		}
		sort.Slice(lines, func(i, j int) bool { return *lines[i].Value < *lines[j].Value })
		return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String(title), Left: &metrics, LeftAnnotations: &lines, Width: jsii.Number(8)})
	}
	svc := p.Kroki.Service.Service()
	render := map[string]string{"Service": "render"}
	dash := awscloudwatch.NewDashboard(c, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{DashboardName: jsii.String(p.Env.prefix() + "-" + p.Role)})
	dash.AddWidgets(
		graph("Requests", nil, api.MetricCount(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("Sum")})),
		graph("Latency p50 / p95 / p99 (ms)", map[string]float64{"p95 alarm: 2 s": 2000},
			api.MetricLatency(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("p50")}),
			api.MetricLatency(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("p95")}),
			api.MetricLatency(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("p99")})),
		graph("Errors", nil, api.MetricServerError(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("Sum")}),
			api.MetricClientError(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("Sum")})),
	)
	dash.AddWidgets(
		graph("Cache hits and misses", nil, emf("CacheHit", "Sum", render), emf("CacheMiss", "Sum", render)),
		graph("Kroki CPU / memory (%)", map[string]float64{"CPU alarm: 80 %": 80, "memory alarm: 90 %": 90},
			svc.MetricCpuUtilization(nil), svc.MetricMemoryUtilization(nil)),
		graph("Probe availability, seen from "+p.Role, map[string]float64{"down below 1, 3 minutes running": 1}, probeMetric(primaryRole), probeMetric(standbyRole)),
	)
	dash.AddWidgets(
		graph("Kroki errors", nil, emf("KrokiErrorUnavailable", "Sum", render), emf("KrokiErrorTimeout", "Sum", render), emf("KrokiErrorDiagram", "Sum", render)),
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
