package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/customresources"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/umlimages/umlimages/internal/diagram"
)

// savedPrefix is where saved diagrams live in a data bucket: user data,
// replicated between the regions. Renders are derivable and stay regional.
var savedPrefix = diagram.SavedObject("x")[:len("diagrams/")]

// replicationRule is one direction of the data buckets' replication:
// saved diagrams only, with S3 Replication Time Control (99.99 % of
// objects within 15 minutes, by AWS's SLA:
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-time-control.html)
// and its metrics.
// CloudFormation spells the rule's id "Id", S3's API "ID".
func replicationRule(idKey, destinationArn string) map[string]any {
	return map[string]any{
		idKey: "diagrams-to-the-other-region", "Priority": 1, "Status": "Enabled",
		"Filter":                  map[string]any{"Prefix": savedPrefix},
		"DeleteMarkerReplication": map[string]any{"Status": "Disabled"},
		"Destination": map[string]any{
			"Bucket":          destinationArn,
			"ReplicationTime": map[string]any{"Status": "Enabled", "Time": map[string]any{"Minutes": 15}},
			"Metrics":         map[string]any{"Status": "Enabled", "EventThreshold": map[string]any{"Minutes": 15}},
			"StorageClass":    "STANDARD",
		},
	}
}

// ReplicateSavedDiagrams replicates diagrams/ between the two data
// buckets, both ways, so a diagram saved in either region is served from
// the other. It is built in the primary stack, which deploys after the
// standby: the primary bucket's rule is part of its template; the
// standby bucket's, which names the primary bucket, is put by a custom
// resource (and removed with the stack).
func ReplicateSavedDiagrams(scope constructs.Construct, id string, e Env, primary awss3.Bucket, standby awss3.IBucket) {
	c := constructs.NewConstruct(scope, jsii.String(id))
	role := awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("s3.amazonaws.com"), nil),
		Description: jsii.String("UML Images " + e.Name + ": S3 replicates saved diagrams between the regions"),
	})
	for _, b := range []awss3.IBucket{primary, standby} {
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("s3:GetReplicationConfiguration", "s3:ListBucket"), Resources: jsii.Strings(*b.BucketArn()),
		}))
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging", "s3:ReplicateObject", "s3:ReplicateTags"),
			Resources: jsii.Strings(*b.ArnForObjects(jsii.String(savedPrefix + "*"))),
		}))
	}
	cfn := primary.Node().DefaultChild().(awss3.CfnBucket)
	cfn.AddPropertyOverride(jsii.String("ReplicationConfiguration"), map[string]any{
		"Role": *role.RoleArn(), "Rules": []any{replicationRule("Id", *standby.BucketArn())},
	})
	put := &customresources.AwsSdkCall{
		Service: jsii.String("S3"), Action: jsii.String("putBucketReplication"), Region: jsii.String(e.StandbyRegion),
		Parameters: map[string]any{"Bucket": *standby.BucketName(), "ReplicationConfiguration": map[string]any{
			"Role": *role.RoleArn(), "Rules": []any{replicationRule("ID", *primary.BucketArn())},
		}},
		PhysicalResourceId: customresources.PhysicalResourceId_Of(jsii.String("standby-diagrams-replication")),
	}
	reverse := customresources.NewAwsCustomResource(c, jsii.String("StandbyRule"), &customresources.AwsCustomResourceProps{
		OnCreate: put, OnUpdate: put,
		OnDelete: &customresources.AwsSdkCall{
			Service: jsii.String("S3"), Action: jsii.String("deleteBucketReplication"), Region: jsii.String(e.StandbyRegion),
			Parameters: map[string]any{"Bucket": *standby.BucketName()},
		},
		Policy: customresources.AwsCustomResourcePolicy_FromStatements(&[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings("s3:PutReplicationConfiguration"), Resources: jsii.Strings(*standby.BucketArn()),
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings("iam:PassRole"), Resources: jsii.Strings(*role.RoleArn()),
			}),
		}),
		InstallLatestAwsSdk: jsii.Bool(false),
	})
	reverse.Node().AddDependency(role)
}

// AllowDistributions lets this account's CloudFront distributions read
// keys of a bucket in the standby region through origin access control.
// The distribution is created later, in the primary stack, so the policy
// names the account's distributions rather than that one.
func AllowDistributions(bucket awss3.Bucket, keys string) {
	bucket.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudFrontOriginAccessControl"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudfront.amazonaws.com"), nil)},
		Actions:    jsii.Strings("s3:GetObject"),
		Resources:  jsii.Strings(*bucket.ArnForObjects(jsii.String(keys))),
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"AWS:SourceAccount": *awscdk.Aws_ACCOUNT_ID()},
			"ArnLike":      map[string]any{"AWS:SourceArn": "arn:" + *awscdk.Aws_PARTITION() + ":cloudfront::" + *awscdk.Aws_ACCOUNT_ID() + ":distribution/*"},
		},
	}))
}

// standbyBucket is a standby bucket as the primary stack sees it, for an
// origin (its policy is the standby's, AllowDistributions).
func standbyBucket(scope constructs.Construct, id string, b awss3.IBucket, region string) awss3.IBucket {
	return awss3.Bucket_FromBucketAttributes(scope, jsii.String(id), &awss3.BucketAttributes{
		BucketName: b.BucketName(), BucketArn: b.BucketArn(), BucketRegionalDomainName: b.BucketRegionalDomainName(), Region: jsii.String(region),
	})
}
