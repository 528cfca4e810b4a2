package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
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

// NewBackupBucket builds the backup bucket (in the standby region):
// versioned; 30 days in standard storage, then archive; expiry at 7 years.
// Its name is generated (the primary learns it through a cross-region
// reference), so an environment can be created again after a destroy.
func NewBackupBucket(scope constructs.Construct, id string, e Env, logs awss3.IBucket) awss3.Bucket {
	return awss3.NewBucket(scope, jsii.String(id), &awss3.BucketProps{
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:             jsii.Bool(true),
		Encryption:             awss3.BucketEncryption_S3_MANAGED,
		Versioned:              jsii.Bool(true),
		ServerAccessLogsBucket: logs,
		ServerAccessLogsPrefix: jsii.String("backup/"),
		RemovalPolicy:          removal(e),
		AutoDeleteObjects:      jsii.Bool(!e.Retain),
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

// NewUIBucket is the editor's bucket (DeployUI fills it).
func NewUIBucket(scope constructs.Construct, id string, logs awss3.IBucket) awss3.Bucket {
	return awss3.NewBucket(scope, jsii.String(id), &awss3.BucketProps{
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:             jsii.Bool(true),
		Encryption:             awss3.BucketEncryption_S3_MANAGED,
		ServerAccessLogsBucket: logs,
		ServerAccessLogsPrefix: jsii.String("ui/"),
		RemovalPolicy:          awscdk.RemovalPolicy_DESTROY,
		AutoDeleteObjects:      jsii.Bool(true),
	})
}

// DeployUI uploads the built editor (web/dist) and config.json (the API's
// base URL; empty: the same origin). The content-hashed assets go first,
// immutable; then the page and its configuration, no-cache, and the
// distribution's copies of those are invalidated. Neither upload prunes
// the other's files (old assets stay for pages still open).
// Without a distribution (the standby's copy) nothing is invalidated.
func DeployUI(scope constructs.Construct, id string, e Env, bucket awss3.IBucket, webDir string, dist awscloudfront.IDistribution) {
	c := constructs.NewConstruct(scope, jsii.String(id))
	assets := awss3deployment.NewBucketDeployment(c, jsii.String("Assets"), &awss3deployment.BucketDeploymentProps{
		DestinationBucket: bucket,
		Sources:           &[]awss3deployment.ISource{awss3deployment.Source_Asset(jsii.String(webDir), nil)},
		Exclude:           jsii.Strings("*"),
		Include:           jsii.Strings("assets/*"),
		CacheControl:      &[]awss3deployment.CacheControl{awss3deployment.CacheControl_FromString(jsii.String("public, max-age=31536000, immutable"))},
		Prune:             jsii.Bool(false),
	})
	props := &awss3deployment.BucketDeploymentProps{
		DestinationBucket: bucket,
		Sources: &[]awss3deployment.ISource{
			awss3deployment.Source_Asset(jsii.String(webDir), nil),
			awss3deployment.Source_JsonData(jsii.String("config.json"), map[string]string{"apiBaseURL": e.UIAPIBaseURL}, nil),
		},
		Exclude:      jsii.Strings("*"),
		Include:      jsii.Strings("index.html", "config.json"),
		CacheControl: &[]awss3deployment.CacheControl{awss3deployment.CacheControl_FromString(jsii.String("no-cache"))},
		Prune:        jsii.Bool(false),
	}
	if dist != nil {
		props.Distribution = dist
		props.DistributionPaths = jsii.Strings("/", "/index.html", "/config.json")
	}
	page := awss3deployment.NewBucketDeployment(c, jsii.String("Page"), props)
	page.Node().AddDependency(assets)
}
