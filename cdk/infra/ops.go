package infra

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/umlimages/umlimages/internal/config"
)

// Metric namespace of our EMF records.
const namespace = config.DefaultNamespace

// OpsProps configure operations.
type OpsProps struct {
	Env      Env
	BuildDir string
	API      *API
	Kroki    *Kroki
	Data     *Data
	// Backups is the backup bucket (in the standby region).
	Backups awss3.IBucket
	// ProbeTargets are the URLs the probe checks, by region name.
	ProbeTargets map[string]string
	// OriginSecret passes the probes through the origin lock.
	OriginSecret string
	// Switch is the failover function's DNS settings (nil: no domain).
	Switch *SwitchProps
}

// SwitchProps are what the failover function switches.
type SwitchProps struct {
	HostedZoneID  string
	RecordName    string
	PrimaryTarget string
	StandbyTarget string
}

// Ops is the scheduled operations and the monitoring: backup, probe and
// failover functions; their schedules; alarms at the guide's thresholds
// to two SNS topics; a dashboard.
type Ops struct {
	constructs.Construct
	Backup, Probe, Failover *Function
	Critical, Warning       awssns.Topic
	Alarms                  []awscloudwatch.Alarm
}

// NewOps builds operations.
func NewOps(scope constructs.Construct, id string, p OpsProps) *Ops {
	c := constructs.NewConstruct(scope, jsii.String(id))
	o := &Ops{Construct: c}
	topic := func(name string) awssns.Topic {
		t := awssns.NewTopic(c, jsii.String(name), &awssns.TopicProps{
			DisplayName: jsii.String(fmt.Sprintf("UML Images %s %s", p.Env.Name, name)), EnforceSSL: jsii.Bool(true),
		})
		if p.Env.AlarmEmail != "" {
			t.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(p.Env.AlarmEmail), nil))
		}
		return t
	}
	o.Critical, o.Warning = topic("Critical"), topic("Warning")

	// Backup: incremental every 5 minutes (RPO 5 min), full daily at 02:00 UTC.
	o.Backup = NewFunction(c, "Backup", FunctionProps{
		Name: "backup", BuildDir: p.BuildDir, Async: true, Reserved: 1,
		Timeout: awscdk.Duration_Minutes(jsii.Number(15)), MemoryMB: 512,
		Environment: map[string]string{
			config.EnvSourceBucket: *p.Data.Cache.BucketName(),
			config.EnvBackupBucket: *p.Backups.BucketName(),
			config.EnvBackupRegion: p.Env.StandbyRegion,
		},
	})
	p.Data.Cache.GrantRead(o.Backup.Fn, nil)
	p.Backups.GrantReadWrite(o.Backup.Fn, nil)
	schedule := func(name string, s awsevents.Schedule, fn *Function, input any) {
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
	schedule("BackupIncremental", awsevents.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(5))), o.Backup,
		map[string]string{"action": "backup", "kind": "incremental"})
	schedule("BackupFull", awsevents.Schedule_Cron(&awsevents.CronOptions{Minute: jsii.String("0"), Hour: jsii.String("2")}), o.Backup,
		map[string]string{"action": "backup", "kind": "full"})

	// Health probe: every minute, every region.
	o.Probe = NewFunction(c, "HealthProbe", FunctionProps{
		Name: "healthprobe", BuildDir: p.BuildDir, Async: true,
		Timeout: awscdk.Duration_Seconds(jsii.Number(50)), MemoryMB: 256,
		Environment: map[string]string{config.EnvOriginSecret: p.OriginSecret},
	})
	var targets []map[string]string
	for _, name := range []string{"primary", "standby"} {
		if url, ok := p.ProbeTargets[name]; ok {
			targets = append(targets, map[string]string{"name": name, "url": url})
		}
	}
	schedule("Probe", awsevents.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(1))), o.Probe, map[string]any{"targets": targets})

	// Failover: triggered by the probe alarm, one run at a time.
	state := awss3.NewBucket(c, jsii.String("FailoverState"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(), EnforceSSL: jsii.Bool(true), Encryption: awss3.BucketEncryption_S3_MANAGED,
		Versioned: jsii.Bool(true), ServerAccessLogsBucket: p.Data.Logs, ServerAccessLogsPrefix: jsii.String("failover/"),
		RemovalPolicy: removal(p.Env), AutoDeleteObjects: jsii.Bool(!p.Env.Retain),
	})
	fenv := map[string]string{
		config.EnvStateBucket:     *state.BucketName(),
		config.EnvTopicARN:        *o.Critical.TopicArn(),
		config.EnvPrimaryProbeURL: p.ProbeTargets["primary"],
		config.EnvStandbyProbeURL: p.ProbeTargets["standby"],
		config.EnvMinDwell:        "15m",
		config.EnvOriginSecret:    p.OriginSecret,
	}
	if p.Switch != nil {
		fenv[config.EnvHostedZoneID] = p.Switch.HostedZoneID
		fenv[config.EnvRecordName] = p.Switch.RecordName
		fenv[config.EnvPrimaryTarget] = p.Switch.PrimaryTarget
		fenv[config.EnvStandbyTarget] = p.Switch.StandbyTarget
	}
	o.Failover = NewFunction(c, "Failover", FunctionProps{
		Name: "failover", BuildDir: p.BuildDir, Async: true, Reserved: 1,
		Timeout: awscdk.Duration_Minutes(jsii.Number(5)), MemoryMB: 256, Environment: fenv,
	})
	state.GrantReadWrite(o.Failover.Fn, nil)
	o.Critical.GrantPublish(o.Failover.Fn)
	if p.Switch != nil {
		// Only UPSERTs of the origin name's CNAMEs, for every change of a
		// batch: https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/specifying-rrset-conditions.html
		zoneArn := "arn:" + *awscdk.Aws_PARTITION() + ":route53:::hostedzone/" + p.Switch.HostedZoneID
		o.Failover.Fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("route53:ChangeResourceRecordSets"),
			Resources: jsii.Strings(zoneArn),
			Conditions: &map[string]any{"ForAllValues:StringEquals": map[string]any{
				"route53:ChangeResourceRecordSetsNormalizedRecordNames": []string{normalizedRecordName(p.Switch.RecordName)},
				"route53:ChangeResourceRecordSetsRecordTypes":           []string{"CNAME"},
				"route53:ChangeResourceRecordSetsActions":               []string{"UPSERT"},
			}},
		}))
		o.Failover.Fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("route53:ListResourceRecordSets"),
			Resources: jsii.Strings(zoneArn),
		}))
		o.Failover.Fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("route53:GetChange"),
			Resources: jsii.Strings("arn:" + *awscdk.Aws_PARTITION() + ":route53:::change/*"),
		}))
	}

	o.alarms(c, p)
	o.dashboard(c, p)
	return o
}

// alarms are the guide's: 5xx rate > 5 % for 5 min (critical), p95
// latency > 2 s (warning), Kroki CPU > 80 % (warning), memory > 90 %
// (critical), the probe failing 3 of 3 minutes (critical; it also starts
// the failover), and the newest backup older than 15 minutes (critical:
// RPO).
func (o *Ops) alarms(c constructs.Construct, p OpsProps) {
	minute := awscdk.Duration_Minutes(jsii.Number(1))
	api := p.API.Rest
	add := func(id string, topic awssns.Topic, props *awscloudwatch.AlarmProps) awscloudwatch.Alarm {
		a := awscloudwatch.NewAlarm(c, jsii.String(id), props)
		a.AddAlarmAction(awscloudwatchactions.NewSnsAction(topic))
		a.AddOkAction(awscloudwatchactions.NewSnsAction(topic))
		o.Alarms = append(o.Alarms, a)
		return a
	}
	errorRate := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("IF(requests > 0, 100 * errors / requests, 0)"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"errors":   api.MetricServerError(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("Sum")}),
			"requests": api.MetricCount(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("Sum")}),
		},
		Period: minute, Label: jsii.String("5xx rate %"),
	})
	add("ErrorRate", o.Critical, &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String("5xx responses over 5 % of requests for 5 minutes"),
		Metric:           errorRate, Threshold: jsii.Number(5), EvaluationPeriods: jsii.Number(5), DatapointsToAlarm: jsii.Number(5),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, TreatMissingData: awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	add("LatencyP95", o.Warning, &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String("p95 latency over 2 s for 5 minutes"),
		Metric:           api.MetricLatency(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("p95")}),
		Threshold:        jsii.Number(2000), EvaluationPeriods: jsii.Number(5), DatapointsToAlarm: jsii.Number(5),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, TreatMissingData: awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	svc := p.Kroki.Service.Service()
	add("KrokiCPU", o.Warning, &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String("Kroki CPU over 80 % for 5 minutes"),
		Metric:           svc.MetricCpuUtilization(&awscloudwatch.MetricOptions{Period: minute}),
		Threshold:        jsii.Number(80), EvaluationPeriods: jsii.Number(5),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
	})
	add("KrokiMemory", o.Critical, &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String("Kroki memory over 90 % for 5 minutes"),
		Metric:           svc.MetricMemoryUtilization(&awscloudwatch.MetricOptions{Period: minute}),
		Threshold:        jsii.Number(90), EvaluationPeriods: jsii.Number(5),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
	})
	probe := add("ProbeFailing", o.Critical, &awscloudwatch.AlarmProps{
		AlarmName:        jsii.String(p.Env.prefix() + "-probe-failing"),
		AlarmDescription: jsii.String("the health probe fails the primary 3 of 3 minutes: fail over to the standby"),
		Metric: awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(namespace), MetricName: jsii.String("ProbeAvailability"),
			DimensionsMap: &map[string]*string{"Target": jsii.String("primary")}, Period: minute, Statistic: jsii.String("Minimum"),
		}),
		Threshold: jsii.Number(1), EvaluationPeriods: jsii.Number(3), DatapointsToAlarm: jsii.Number(3),
		ComparisonOperator: awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD, TreatMissingData: awscloudwatch.TreatMissingData_BREACHING,
	})
	add("BackupAge", o.Critical, &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String("the newest backup is older than 15 minutes (RPO 5 minutes)"),
		Metric: awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(namespace), MetricName: jsii.String("NewestBackupAge"),
			DimensionsMap: &map[string]*string{"Service": jsii.String("backup")}, Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Maximum"),
		}),
		Threshold: jsii.Number(900), EvaluationPeriods: jsii.Number(3),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, TreatMissingData: awscloudwatch.TreatMissingData_BREACHING,
	})
	awsevents.NewRule(c, jsii.String("ProbeAlarmToFailover"), &awsevents.RuleProps{
		Description: jsii.String("the probe alarm's state changes start the failover function"),
		EventPattern: &awsevents.EventPattern{
			Source: jsii.Strings("aws.cloudwatch"), DetailType: jsii.Strings("CloudWatch Alarm State Change"),
			Resources: &[]*string{probe.AlarmArn()},
		},
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(o.Failover.Fn, &awseventstargets.LambdaFunctionProps{
			DeadLetterQueue: o.Failover.DLQ, RetryAttempts: jsii.Number(2),
		})},
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
	dash := awscloudwatch.NewDashboard(c, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{DashboardName: jsii.String(p.Env.prefix())})
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
		graph("Probe availability", emf("ProbeAvailability", "Minimum", map[string]string{"Target": "primary"}),
			emf("ProbeAvailability", "Minimum", map[string]string{"Target": "standby"})),
	)
	dash.AddWidgets(
		graph("Age of the newest backup (s)", emf("NewestBackupAge", "Maximum", map[string]string{"Service": "backup"})),
		graph("Kroki errors", emf("KrokiErrorUnavailable", "Sum", render), emf("KrokiErrorTimeout", "Sum", render), emf("KrokiErrorDiagram", "Sum", render)),
		awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{Title: jsii.String("Alarms"), Alarms: alarmsOf(o.Alarms), Width: jsii.Number(8)}),
	)
}

func alarmsOf(as []awscloudwatch.Alarm) *[]interfacesawscloudwatch.IAlarmRef {
	out := make([]interfacesawscloudwatch.IAlarmRef, len(as))
	for i, a := range as {
		out[i] = a
	}
	return &out
}

// normalizedRecordName is a record name as Route 53's condition keys
// compare it: lower case, no final dot.
func normalizedRecordName(name string) string {
	return strings.TrimSuffix(strings.ToLower(name), ".")
}
