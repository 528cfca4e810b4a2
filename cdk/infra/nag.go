package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// Acknowledgement is a cdk-nag finding accepted on purpose, with why.
type Acknowledgement struct {
	ID     string
	Reason string
}

// Acknowledgements are every AwsSolutions finding this system accepts.
// The README lists them; anything else fails the synth.
var Acknowledgements = []Acknowledgement{
	{"AwsSolutions-IAM4", "AWS managed policies only where AWS documents them as the minimum: AWSLambdaBasicExecutionRole and AWSLambdaVPCAccessExecutionRole on function roles, AmazonAPIGatewayPushToCloudWatchLogs on API Gateway's logging role, and the roles of CDK's own custom resources."},
	{"AwsSolutions-IAM5", "Wildcards only inside named resources or where the service allows nothing narrower: object keys (bucket/*) of our own buckets from Grant* calls, s3:GetObject*-style action groups those grants use, X-Ray's PutTraceSegments and ECR's GetAuthorizationToken (resource '*' by AWS design), Route 53 change ids (change/*, unknown in advance), and CDK's asset bucket for the UI deployment."},
	{"AwsSolutions-APIG2", "The API is a proxy to one Lambda function that validates every request itself (types, formats, encodings, sizes) with Kroki's error wording; API Gateway request validation would duplicate it and break Kroki-compatible error bodies."},
	{"AwsSolutions-APIG4", "A public, anonymous diagram API by design (Kroki-compatible clients send no credentials); abuse is bounded by the WAF rate limit, stage throttling and per-request limits."},
	{"AwsSolutions-COG4", "A public, anonymous diagram API by design (Kroki-compatible clients send no credentials); no Cognito user pool applies."},
	{"AwsSolutions-APIG3", "The web ACL is attached to CloudFront, the public entry point; the regional stage behind it is throttled per environment."},
	{"AwsSolutions-ECS2", "The Kroki task's environment holds configuration only (safe mode, limits, companion hosts and ports), no secrets."},
	{"AwsSolutions-L1", "The Node.js runtimes of CDK's own custom-resource handlers (UI deployment, cross-region references) are chosen and updated by CDK; our functions run provided.al2023."},
	{"AwsSolutions-CFR4", "An environment without a domain (dev) is served on CloudFront's default certificate, which cannot pin a minimum TLS version; environments with a domain enforce TLSv1.2_2021."},
	{"AwsSolutions-CFR1", "A public service with no geographic restriction by requirement."},
	{"AwsSolutions-SMG4", "The origin secret (the header CloudFront sends the render API) reaches CloudFront and the functions as dynamic references resolved at deploy; it is rotated by putting a new value and deploying (README), which a rotation schedule could not do."},
	{"CdkNagValidationFailure", "AwsSolutions-EC23 cannot evaluate the interface endpoints' security groups, which admit the VPC's own CIDR (an intrinsic) and nothing else."},
}

// Check runs the AwsSolutions rules on every stack of app and applies the
// acknowledgements.
func Check(app constructs.Construct) {
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	var sup []*cdknag.NagPackSuppression
	for _, a := range Acknowledgements {
		sup = append(sup, &cdknag.NagPackSuppression{Id: jsii.String(a.ID), Reason: jsii.String(a.Reason)})
	}
	if len(sup) == 0 {
		return
	}
	for _, child := range *app.Node().Children() {
		if stack, ok := child.(awscdk.Stack); ok {
			cdknag.NagSuppressions_AddStackSuppressions(stack, &sup, jsii.Bool(true))
		}
	}
}
