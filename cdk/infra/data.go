package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3deployment"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Data holds a region's buckets: the cache/data bucket (renders and saved
// diagrams) and the bucket receiving access logs.
type Data struct {
	constructs.Construct
	Cache awss3.Bucket
	Logs  awss3.Bucket
}

func removal(e Env) awscdk.RemovalPolicy {
	if e.Retain {
		return awscdk.RemovalPolicy_RETAIN
	}
	return awscdk.RemovalPolicy_DESTROY
}

// NewLogBucket is a bucket for S3 and CloudFront access logs.
func NewLogBucket(scope constructs.Construct, id string, e Env) awss3.Bucket {
	return awss3.NewBucket(scope, jsii.String(id), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_PREFERRED,
		RemovalPolicy:     removal(e),
		AutoDeleteObjects: jsii.Bool(!e.Retain),
		LifecycleRules:    &[]*awss3.LifecycleRule{{Expiration: awscdk.Duration_Days(jsii.Number(90))}},
	})
}

// NewData builds the data bucket: private, TLS only, encrypted, versioned,
// logged.
func NewData(scope constructs.Construct, id string, e Env) *Data {
	c := constructs.NewConstruct(scope, jsii.String(id))
	logs := NewLogBucket(c, "AccessLogs", e)
	cache := awss3.NewBucket(c, jsii.String("Cache"), &awss3.BucketProps{
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:             jsii.Bool(true),
		Encryption:             awss3.BucketEncryption_S3_MANAGED,
		Versioned:              jsii.Bool(true),
		ServerAccessLogsBucket: logs,
		ServerAccessLogsPrefix: jsii.String("cache/"),
		RemovalPolicy:          removal(e),
		AutoDeleteObjects:      jsii.Bool(!e.Retain),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(30)),
		}},
	})
	return &Data{Construct: c, Cache: cache, Logs: logs}
}

// BackupBucketName is the backup bucket's name, known to both regions
// without a cross-region reference.
func BackupBucketName(e Env) string {
	return e.prefix() + "-backup-" + *awscdk.Aws_ACCOUNT_ID() + "-" + e.StandbyRegion
}

// NewBackupBucket builds the backup bucket (in the standby region):
// versioned; 30 days in standard storage, then archive; expiry at 7 years.
func NewBackupBucket(scope constructs.Construct, id string, e Env, logs awss3.IBucket) awss3.Bucket {
	return awss3.NewBucket(scope, jsii.String(id), &awss3.BucketProps{
		BucketName:             jsii.String(BackupBucketName(e)),
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:             jsii.Bool(true),
		Encryption:             awss3.BucketEncryption_S3_MANAGED,
		Versioned:              jsii.Bool(true),
		ServerAccessLogsBucket: logs,
		ServerAccessLogsPrefix: jsii.String("backup/"),
		RemovalPolicy:          awscdk.RemovalPolicy_RETAIN,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id: jsii.String("archive-after-30-days-expire-after-7-years"),
			Transitions: &[]*awss3.Transition{{
				StorageClass: awss3.StorageClass_GLACIER(), TransitionAfter: awscdk.Duration_Days(jsii.Number(30)),
			}},
			Expiration: awscdk.Duration_Days(jsii.Number(2557)),
			NoncurrentVersionTransitions: &[]*awss3.NoncurrentVersionTransition{{
				StorageClass: awss3.StorageClass_GLACIER(), TransitionAfter: awscdk.Duration_Days(jsii.Number(30)),
			}},
			NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(2557)),
		}},
	})
}

// NewUI builds the UI bucket and deploys the built editor (web/dist) into
// it, with config.json naming the API's base URL (empty: the same origin,
// CloudFront's default behaviour).
func NewUI(scope constructs.Construct, id string, e Env, webDir string, logs awss3.IBucket) awss3.Bucket {
	c := constructs.NewConstruct(scope, jsii.String(id))
	bucket := awss3.NewBucket(c, jsii.String("Bucket"), &awss3.BucketProps{
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:             jsii.Bool(true),
		Encryption:             awss3.BucketEncryption_S3_MANAGED,
		ServerAccessLogsBucket: logs,
		ServerAccessLogsPrefix: jsii.String("ui/"),
		RemovalPolicy:          awscdk.RemovalPolicy_DESTROY,
		AutoDeleteObjects:      jsii.Bool(true),
	})
	awss3deployment.NewBucketDeployment(c, jsii.String("Deploy"), &awss3deployment.BucketDeploymentProps{
		DestinationBucket: bucket,
		Sources: &[]awss3deployment.ISource{
			awss3deployment.Source_Asset(jsii.String(webDir), nil),
			awss3deployment.Source_JsonData(jsii.String("config.json"), map[string]string{"apiBaseURL": e.UIAPIBaseURL}, nil),
		},
	})
	return bucket
}
