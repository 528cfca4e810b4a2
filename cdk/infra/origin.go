package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// OriginSecret is the origin lock's secret: CloudFront sends it to the
// render API in config.OriginHeader, and the API refuses requests without
// it, so neither the execute-api endpoint nor the origin name is a way
// around the web ACL. It lives in Secrets Manager in the standby region
// (deployed first, and the one that must outlive the primary) with a
// replica in the primary region; templates hold only dynamic references,
// which CloudFormation resolves at deploy
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-secretsmanager.html).
type OriginSecret struct {
	secret awssecretsmanager.Secret
	env    Env
}

// NewOriginSecret creates the secret in the standby stack.
func NewOriginSecret(scope constructs.Construct, id string, e Env) *OriginSecret {
	secret := awssecretsmanager.NewSecret(scope, jsii.String(id), &awssecretsmanager.SecretProps{
		Description: jsii.String("UML Images " + e.Name + ": the header CloudFront sends the render API"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength: jsii.Number(48), ExcludePunctuation: jsii.Bool(true),
		},
		ReplicaRegions: &[]*awssecretsmanager.ReplicaRegion{{Region: jsii.String(e.PrimaryRegion)}},
		RemovalPolicy:  awscdk.RemovalPolicy_DESTROY,
	})
	return &OriginSecret{secret: secret, env: e}
}

// Reference is the secret's value as a dynamic reference for a stack in
// the standby region (the secret) or the primary (its replica, the same
// ARN but for the region).
func (o *OriginSecret) Reference(stack awscdk.Stack) string {
	if *stack.Region() == o.env.StandbyRegion {
		return *o.secret.SecretValue().UnsafeUnwrap()
	}
	name := awscdk.Fn_Select(jsii.Number(6), awscdk.Fn_Split(jsii.String(":"), o.secret.SecretArn(), nil))
	replica := "arn:" + *awscdk.Aws_PARTITION() + ":secretsmanager:" + *stack.Region() + ":" + *awscdk.Aws_ACCOUNT_ID() + ":secret:" + *name
	return *awscdk.SecretValue_SecretsManager(jsii.String(replica), nil).UnsafeUnwrap()
}
