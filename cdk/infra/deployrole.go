package infra

import (
	"fmt"
	"regexp"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// GitHubTokenIssuer is GitHub Actions' OIDC issuer.
const GitHubTokenIssuer = "token.actions.githubusercontent.com"

var githubRepository = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)

// DeploySubject is the one `sub` claim the environment's deploy role
// trusts: staging deploys from the main branch; production from the
// "production" GitHub environment, whose required reviewers are the
// manual approval and whose deployment rule admits only v* tags.
func (e Env) DeploySubject() string {
	if e.Name == "prod" {
		return "repo:" + e.GitHubRepository + ":environment:production"
	}
	return "repo:" + e.GitHubRepository + ":ref:refs/heads/main"
}

// NewDeployRole builds GitHub's OIDC provider (or uses the account's, by
// GitHubOIDCProviderARN) and the role the environment's deploy workflow
// assumes. The role trusts one repository and one subject, and may only
// assume the CDK bootstrap roles of the environment's regions.
func NewDeployRole(scope constructs.Construct, id string, e Env) awsiam.Role {
	c := constructs.NewConstruct(scope, jsii.String(id))
	var provider awsiam.IOidcProvider
	if e.GitHubOIDCProviderARN != "" {
		provider = awsiam.OidcProviderNative_FromOidcProviderArn(c, jsii.String("GitHub"), jsii.String(e.GitHubOIDCProviderARN))
	} else {
		provider = awsiam.NewOidcProviderNative(c, jsii.String("GitHub"), &awsiam.OidcProviderNativeProps{
			Url: jsii.String("https://" + GitHubTokenIssuer), ClientIds: jsii.Strings("sts.amazonaws.com"),
		})
	}
	role := awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		RoleName:    jsii.String(e.prefix() + "-github-deploy"),
		Description: jsii.String("GitHub Actions of " + e.GitHubRepository + " deploying " + e.Name),
		AssumedBy: awsiam.NewOpenIdConnectPrincipal(provider, &map[string]any{
			"StringEquals": map[string]any{
				GitHubTokenIssuer + ":aud": "sts.amazonaws.com",
				GitHubTokenIssuer + ":sub": e.DeploySubject(),
			},
		}),
		MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)),
	})
	var bootstrap []*string
	for _, region := range []string{e.PrimaryRegion, e.StandbyRegion, "us-east-1"} {
		bootstrap = append(bootstrap, jsii.String(fmt.Sprintf("arn:%s:iam::%s:role/cdk-hnb659fds-*-%s-%s",
			*awscdk.Aws_PARTITION(), *awscdk.Aws_ACCOUNT_ID(), *awscdk.Aws_ACCOUNT_ID(), region)))
	}
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("sts:AssumeRole"), Resources: &bootstrap,
	}))
	awscdk.NewCfnOutput(scope, jsii.String("DeployRoleArn"), &awscdk.CfnOutputProps{
		Value: role.RoleArn(), Description: jsii.String("the role the deploy workflow assumes (the AWS_ROLE_ARN variable of its GitHub environment)"),
	})
	return role
}
