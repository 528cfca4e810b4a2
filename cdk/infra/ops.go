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
	"github.com/aws/aws-cdk-go/awscdk/v2/customresources"
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
// health probe (every minute, probing both regions), the guide's alarms on
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
	topic := func(name string) awssns.Topic {
		t := awssns.NewTopic(c, jsii.String(name), &awssns.TopicProps{
			DisplayName: jsii.String(fmt.Sprintf("UML Images %s %s %s", p.Env.Name, p.Role, name)), EnforceSSL: jsii.Bool(true),
		})
		if p.Env.AlarmEmail != "" {
			t.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(p.Env.AlarmEmail), nil))
		}
		return t
	}
	o.Critical, o.Warning = topic("Critical"), topic("Warning")

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

// alarms are the guide's, on this region: 5xx rate > 5 % for 5 min
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

// BackupProps configure a region's backup.
type BackupProps struct {
	Env      Env
	BuildDir string
	// Role names the region, and its namespace in the backup bucket.
	Role string
	Data *Data
	// Backups is the backup bucket (in the standby region).
	Backups awss3.IBucket
	Ops     *Ops
}

// NewBackup builds a region's backup function, next to the data it
// copies (each region's data bucket, so that what is saved in the standby
// after a failover is backed up too): incremental every 5 minutes (RPO 5
// min), full daily at 02:00 UTC; and the alarm on the newest backup's age.
func NewBackup(scope constructs.Construct, id string, p BackupProps) *Function {
	c := constructs.NewConstruct(scope, jsii.String(id))
	fn := NewFunction(c, "Backup", FunctionProps{
		Name: "backup", BuildDir: p.BuildDir, Async: true, Reserved: 1,
		Timeout: awscdk.Duration_Minutes(jsii.Number(15)), MemoryMB: 512,
		Environment: map[string]string{
			config.EnvSourceBucket:    *p.Data.Cache.BucketName(),
			config.EnvBackupBucket:    *p.Backups.BucketName(),
			config.EnvBackupRegion:    p.Env.StandbyRegion,
			config.EnvBackupRetention: fmt.Sprintf("%dh", BackupRetentionDays*24),
			config.EnvBackupLockMode:  or(p.Env.BackupLockMode, "GOVERNANCE"),
			config.EnvBackupNamespace: p.Role,
		},
	})
	p.Data.Cache.GrantRead(fn.Fn, nil)
	// Write and read backups, lock what it writes, thaw archived copies:
	// never delete, never bypass or change a lock or the lifecycle.
	fn.Fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("s3:ListBucket", "s3:GetBucketLocation"),
		Resources: jsii.Strings(*p.Backups.BucketArn()),
	}))
	fn.Fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("s3:GetObject", "s3:PutObject", "s3:PutObjectRetention", "s3:RestoreObject",
			"s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"),
		Resources: jsii.Strings(*p.Backups.ArnForObjects(jsii.String("*"))),
	}))
	schedule(c, "BackupIncremental", awsevents.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(5))), fn,
		map[string]string{"action": "backup", "kind": "incremental"})
	schedule(c, "BackupFull", awsevents.Schedule_Cron(&awsevents.CronOptions{Minute: jsii.String("0"), Hour: jsii.String("2")}), fn,
		map[string]string{"action": "backup", "kind": "full"})
	p.Ops.add(c, "BackupAge", p.Ops.Critical, &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String(p.Role + ": the newest backup is older than 15 minutes (RPO 5 minutes)"),
		Metric: awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(namespace), MetricName: jsii.String("NewestBackupAge"),
			DimensionsMap: &map[string]*string{"Service": jsii.String("backup")}, Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Maximum"),
		}),
		Threshold: jsii.Number(900), EvaluationPeriods: jsii.Number(3),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, TreatMissingData: awscloudwatch.TreatMissingData_BREACHING,
	})
	return fn
}

// SwitchProps are what the failover function switches.
type SwitchProps struct {
	HostedZoneID  string
	RecordName    string
	PrimaryTarget string
	StandbyTarget string
}

// FailoverProps configure the failover.
type FailoverProps struct {
	Env      Env
	BuildDir string
	// Ops is the standby's operations: its probe alarm on the primary
	// starts the failover, its critical topic hears of every switch.
	Ops          *Ops
	ProbeTargets map[string]string
	OriginSecret string
	// State is the standby's data bucket: the state and audit live under
	// failover/, which its backup covers.
	State awss3.IBucket
	// Switch is the DNS the function owns (nil: no domain; it advises).
	Switch *SwitchProps
}

// NewFailover builds the failover in the standby region, the one that
// must act when the primary is lost: the function (one run at a time,
// its state in the standby's data bucket), the rule from the standby probe's alarm on the primary,
// and a deploy-time reconciliation. Without a domain the standby cannot
// know the primary's address (it deploys first, and execute-api hosts are
// generated): no alarm starts it there, and it only advises. The weighted origin records belong to
// the function, not to a template: it creates them on the first deploy
// and every deploy after writes them for the region its state names, so a
// deploy never sends traffic back to a failed primary.
func NewFailover(scope constructs.Construct, id string, p FailoverProps) *Function {
	c := constructs.NewConstruct(scope, jsii.String(id))
	env := map[string]string{
		config.EnvStateBucket:     *p.State.BucketName(),
		config.EnvTopicARN:        *p.Ops.Critical.TopicArn(),
		config.EnvPrimaryProbeURL: p.ProbeTargets[primaryRole],
		config.EnvStandbyProbeURL: p.ProbeTargets[standbyRole],
		config.EnvMinDwell:        "15m",
		config.EnvOriginSecret:    p.OriginSecret,
	}
	if p.Switch != nil {
		env[config.EnvHostedZoneID] = p.Switch.HostedZoneID
		env[config.EnvRecordName] = p.Switch.RecordName
		env[config.EnvPrimaryTarget] = p.Switch.PrimaryTarget
		env[config.EnvStandbyTarget] = p.Switch.StandbyTarget
	}
	fn := NewFunction(c, "Failover", FunctionProps{
		Name: "failover", BuildDir: p.BuildDir, Async: true, Reserved: 1,
		Timeout: awscdk.Duration_Minutes(jsii.Number(5)), MemoryMB: 256, Environment: env,
	})
	p.State.GrantRead(fn.Fn, jsii.String("failover/*"))
	p.State.GrantPut(fn.Fn, jsii.String("failover/*"))
	p.Ops.Critical.GrantPublish(fn.Fn)
	if p.Switch != nil {
		// Only UPSERTs of the origin name's CNAMEs, for every change of a
		// batch: https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/specifying-rrset-conditions.html
		zoneArn := "arn:" + *awscdk.Aws_PARTITION() + ":route53:::hostedzone/" + p.Switch.HostedZoneID
		fn.Fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("route53:ChangeResourceRecordSets"),
			Resources: jsii.Strings(zoneArn),
			Conditions: &map[string]any{"ForAllValues:StringEquals": map[string]any{
				"route53:ChangeResourceRecordSetsNormalizedRecordNames": []string{normalizedRecordName(p.Switch.RecordName)},
				"route53:ChangeResourceRecordSetsRecordTypes":           []string{"CNAME"},
				"route53:ChangeResourceRecordSetsActions":               []string{"UPSERT"},
			}},
		}))
		fn.Fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("route53:ListResourceRecordSets"),
			Resources: jsii.Strings(zoneArn),
		}))
		fn.Fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("route53:GetChange"),
			Resources: jsii.Strings("arn:" + *awscdk.Aws_PARTITION() + ":route53:::change/*"),
		}))
		// Every deploy that changes what the records should say (the
		// targets) asks the function to write them as its state says.
		payload, _ := json.Marshal(map[string]any{"action": "reconcile", "reason": "deploy",
			"targets": map[string]string{primaryRole: p.Switch.PrimaryTarget, standbyRole: p.Switch.StandbyTarget}})
		invoke := &customresources.AwsSdkCall{
			Service: jsii.String("Lambda"), Action: jsii.String("invoke"),
			Parameters:         map[string]any{"FunctionName": *fn.Fn.FunctionName(), "InvocationType": "RequestResponse", "Payload": string(payload)},
			PhysicalResourceId: customresources.PhysicalResourceId_Of(jsii.String("failover-records")),
		}
		reconcile := customresources.NewAwsCustomResource(c, jsii.String("Reconcile"), &customresources.AwsCustomResourceProps{
			OnCreate: invoke, OnUpdate: invoke,
			Policy: customresources.AwsCustomResourcePolicy_FromStatements(&[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings("lambda:InvokeFunction"), Resources: jsii.Strings(*fn.Fn.FunctionArn()),
			})}),
			InstallLatestAwsSdk: jsii.Bool(false),
		})
		reconcile.Node().AddDependency(fn.Fn)
	}
	if p.Ops.OtherFailing == nil {
		return fn
	}
	awsevents.NewRule(c, jsii.String("ProbeAlarmToFailover"), &awsevents.RuleProps{
		Description: jsii.String("the standby probe's alarm on the primary starts the failover function"),
		EventPattern: &awsevents.EventPattern{
			Source: jsii.Strings("aws.cloudwatch"), DetailType: jsii.Strings("CloudWatch Alarm State Change"),
			Resources: &[]*string{p.Ops.OtherFailing.AlarmArn()},
		},
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(fn.Fn, &awseventstargets.LambdaFunctionProps{
			DeadLetterQueue: fn.DLQ, RetryAttempts: jsii.Number(2),
		})},
	})
	return fn
}

// normalizedRecordName is a record name as Route 53's condition keys
// compare it: lower case, no final dot.
func normalizedRecordName(name string) string {
	return strings.TrimSuffix(strings.ToLower(name), ".")
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
