package infra

import (
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// FunctionProps describe one of our Go functions.
type FunctionProps struct {
	// Name is the function's directory under functions/ and build/.
	Name string
	// BuildDir holds <Name>/bootstrap (make build writes build/).
	BuildDir    string
	Timeout     awscdk.Duration
	MemoryMB    float64
	Environment map[string]string
	// Reserved limits concurrency (1: one run at a time); 0: unreserved.
	Reserved float64
	// Async functions get a dead-letter queue for failed invocations.
	Async bool
	Vpc   awsec2.IVpc
}

// Function is a Lambda function of ours with its log group.
type Function struct {
	constructs.Construct
	Fn awslambda.Function
	// Live is the alias everything invokes: a deploy publishes a version
	// and CodeDeploy moves the alias to it (see Ops.watch).
	Live awslambda.Alias
	DLQ  awssqs.Queue
}

// NewFunction builds a function the way every one of ours is built:
// provided.al2023 on arm64, the bootstrap from build/<name>, X-Ray active,
// JSON logs kept 30 days, explicit timeout and memory; in a VPC, no egress
// but what the caller opens.
func NewFunction(scope constructs.Construct, id string, p FunctionProps) *Function {
	c := constructs.NewConstruct(scope, jsii.String(id))
	env := map[string]*string{}
	for k, v := range p.Environment {
		env[k] = jsii.String(v)
	}
	logs := newLogGroup(c, "Logs", nil)
	props := &awslambda.FunctionProps{
		Runtime:       awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:  awslambda.Architecture_ARM_64(),
		Handler:       jsii.String("bootstrap"),
		Code:          awslambda.Code_FromAsset(jsii.String(filepath.Join(p.BuildDir, p.Name)), nil),
		Timeout:       p.Timeout,
		MemorySize:    jsii.Number(p.MemoryMB),
		Tracing:       awslambda.Tracing_ACTIVE,
		LoggingFormat: awslambda.LoggingFormat_JSON,
		LogGroup:      logs,
		Environment:   &env,
		Description:   jsii.String("UML Images " + p.Name),
	}
	if p.Reserved > 0 {
		props.ReservedConcurrentExecutions = jsii.Number(p.Reserved)
	}
	if p.Vpc != nil {
		props.Vpc = p.Vpc
		props.VpcSubnets = &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED}
		props.AllowAllOutbound = jsii.Bool(false)
	}
	f := &Function{Construct: c}
	if p.Async {
		f.DLQ = awssqs.NewQueue(c, jsii.String("DeadLetters"), &awssqs.QueueProps{
			EnforceSSL: jsii.Bool(true), Encryption: awssqs.QueueEncryption_SQS_MANAGED,
			RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		})
		props.DeadLetterQueue = f.DLQ
		props.RetryAttempts = jsii.Number(2)
	}
	f.Fn = awslambda.NewFunction(c, jsii.String("Function"), props)
	f.Live = awslambda.NewAlias(c, jsii.String("Live"), &awslambda.AliasProps{AliasName: jsii.String("live"), Version: f.Fn.CurrentVersion()})
	return f
}
