package infra

import (
	"encoding/json"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/customresources"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/umlimages/umlimages/internal/config"
)

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
		config.EnvMinDwell:        config.DefaultMinDwell.String(),
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
	p.Ops.watch(c, "Failover", fn, nil)
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
			Parameters:         map[string]any{"FunctionName": *fn.Live.FunctionArn(), "InvocationType": "RequestResponse", "Payload": string(payload)},
			PhysicalResourceId: customresources.PhysicalResourceId_Of(jsii.String("failover-records")),
		}
		reconcile := customresources.NewAwsCustomResource(c, jsii.String("Reconcile"), &customresources.AwsCustomResourceProps{
			OnCreate: invoke, OnUpdate: invoke,
			Policy: customresources.AwsCustomResourcePolicy_FromStatements(&[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings("lambda:InvokeFunction"), Resources: jsii.Strings(*fn.Live.FunctionArn()),
			})}),
			InstallLatestAwsSdk: jsii.Bool(false),
		})
		reconcile.Node().AddDependency(fn.Live)
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
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(fn.Live, &awseventstargets.LambdaFunctionProps{
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
