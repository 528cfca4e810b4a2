package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// logRetention is the aspect that gives every log group of a stack, ours
// and those of CDK's own constructs, an expiry and the environment's
// removal policy, and every Lambda function (CDK's custom-resource
// handlers included) a log group of the stack's: otherwise Lambda creates
// /aws/lambda/<name> on first run, outside the stack, kept forever
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/Working-with-log-groups-and-streams.html).
type logRetention struct {
	env Env
}

// Visit applies the policy to one construct.
func (l *logRetention) Visit(node constructs.IConstruct) {
	switch r := node.(type) {
	case awslogs.CfnLogGroup:
		if r.RetentionInDays() == nil {
			r.SetRetentionInDays(jsii.Number(30))
		}
		r.ApplyRemovalPolicy(logRemoval(l.env), nil)
	case awslambda.CfnFunction:
		if r.LoggingConfig() == nil {
			l.own(r)
		}
	case awscdk.CfnResource:
		if *r.CfnResourceType() == "AWS::Lambda::Function" {
			l.own(r)
		}
	}
}

// own gives a function without a log group one, next to it (once: the
// aspect visits again on every synthesis).
func (l *logRetention) own(fn awscdk.CfnResource) {
	scope, id := fn.Node().Scope().(constructs.Construct), *fn.Node().Id()+"Logs"
	if scope.Node().TryFindChild(jsii.String(id)) != nil {
		return
	}
	lg := awslogs.NewCfnLogGroup(scope, jsii.String(id), &awslogs.CfnLogGroupProps{
		RetentionInDays: jsii.Number(30),
	})
	lg.ApplyRemovalPolicy(logRemoval(l.env), nil)
	fn.AddPropertyOverride(jsii.String("LoggingConfig.LogGroup"), lg.Ref())
}

// logRemoval keeps prod's logs when a stack goes.
func logRemoval(e Env) awscdk.RemovalPolicy {
	if e.Retain {
		return awscdk.RemovalPolicy_RETAIN
	}
	return awscdk.RemovalPolicy_DESTROY
}

// newLogGroup is a log group of ours: 30 days.
func newLogGroup(scope constructs.Construct, id string, props *awslogs.LogGroupProps) awslogs.LogGroup {
	if props == nil {
		props = &awslogs.LogGroupProps{}
	}
	props.Retention = awslogs.RetentionDays_ONE_MONTH
	return awslogs.NewLogGroup(scope, jsii.String(id), props)
}

// Synth writes the cloud assembly. It synthesizes twice: CDK creates the
// handlers of cross-region references while resolving them, after the
// aspects of the first pass, so only the second gives those handlers their
// log groups.
func Synth(app awscdk.App) *string {
	app.Synth(nil)
	return app.Synth(&awscdk.StageSynthesisOptions{Force: jsii.Bool(true)}).Directory()
}
