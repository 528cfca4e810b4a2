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

// privateBucket is a bucket as every bucket here is: no public access, TLS
// only, encrypted, removed with its stack unless the environment retains
// data; props adds the rest.
func privateBucket(scope constructs.Construct, id string, removal awscdk.RemovalPolicy, props awss3.BucketProps) awss3.Bucket {
	props.BlockPublicAccess = awss3.BlockPublicAccess_BLOCK_ALL()
	props.EnforceSSL = jsii.Bool(true)
	props.Encryption = awss3.BucketEncryption_S3_MANAGED
	props.RemovalPolicy = removal
	props.AutoDeleteObjects = jsii.Bool(removal == awscdk.RemovalPolicy_DESTROY)
	return awss3.NewBucket(scope, jsii.String(id), &props)
}

// NewLogBucket is a bucket for S3 and CloudFront access logs.
func NewLogBucket(scope constructs.Construct, id string, e Env) awss3.Bucket {
	return privateBucket(scope, id, removal(e), awss3.BucketProps{
		ObjectOwnership: awss3.ObjectOwnership_BUCKET_OWNER_PREFERRED,
		LifecycleRules:  &[]*awss3.LifecycleRule{{Expiration: awscdk.Duration_Days(jsii.Number(90))}},
	})
}

// NewData builds the data bucket: private, TLS only, encrypted, versioned,
// logged.
func NewData(scope constructs.Construct, id string, e Env) *Data {
	c := constructs.NewConstruct(scope, jsii.String(id))
	logs := NewLogBucket(c, "AccessLogs", e)
	cache := privateBucket(c, "Cache", removal(e), awss3.BucketProps{
		Versioned:              jsii.Bool(true),
		ServerAccessLogsBucket: logs,
		ServerAccessLogsPrefix: jsii.String("cache/"),
		LifecycleRules: &[]*awss3.LifecycleRule{
			{Id: jsii.String("old-versions"), NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(30))},
			// Renders are derived: CloudFront's immutable copies outlive
			// them, and a miss renders again.
			{Id: jsii.String("renders-expire"), Prefix: jsii.String("renders/"), Expiration: awscdk.Duration_Days(jsii.Number(float64(e.renderExpiryDays())))},
		},
	})
	return &Data{Construct: c, Cache: cache, Logs: logs}
}

// BackupRetentionDays is how long backups are kept and locked: 7 years.
const BackupRetentionDays = 2557

// NewBackupBucket builds the backup bucket (in the standby region):
// versioned, with S3 Object Lock (the backup locks each copy and manifest
// it writes for 7 years; nothing can delete or rewrite them before). The
// lifecycle follows the layout: copies (runs/) go to the archive class
// after 30 days; manifests and the index (manifests/, index/) stay in the
// standard class, so runs, list and verify never read an archived object;
// everything expires at 7 years, old versions of the index after a day.
// Its name is generated (the primary learns it through a cross-region
// reference), so an environment can be created again after a destroy.
func NewBackupBucket(scope constructs.Construct, id string, e Env, logs awss3.IBucket) awss3.Bucket {
	keep := awscdk.Duration_Days(jsii.Number(BackupRetentionDays))
	return privateBucket(scope, id, removal(e), awss3.BucketProps{
		Versioned:              jsii.Bool(true),
		ObjectLockEnabled:      jsii.Bool(true),
		ServerAccessLogsBucket: logs,
		ServerAccessLogsPrefix: jsii.String("backup/"),
		LifecycleRules: &[]*awss3.LifecycleRule{
			{
				Id: jsii.String("copies-archive-after-30-days-expire-after-7-years"), Prefix: jsii.String("runs/"),
				Transitions: &[]*awss3.Transition{{StorageClass: awss3.StorageClass_GLACIER(), TransitionAfter: awscdk.Duration_Days(jsii.Number(30))}},
				NoncurrentVersionTransitions: &[]*awss3.NoncurrentVersionTransition{{
					StorageClass: awss3.StorageClass_GLACIER(), TransitionAfter: awscdk.Duration_Days(jsii.Number(30)),
				}},
				Expiration: keep, NoncurrentVersionExpiration: keep,
			},
			{Id: jsii.String("manifests-expire-after-7-years"), Prefix: jsii.String("manifests/"), Expiration: keep, NoncurrentVersionExpiration: keep},
			{Id: jsii.String("old-index-versions"), Prefix: jsii.String("index/"), NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(1))},
		},
	})
}

// NewUIBucket is the editor's bucket (DeployUI fills it).
func NewUIBucket(scope constructs.Construct, id string, logs awss3.IBucket) awss3.Bucket {
	return privateBucket(scope, id, awscdk.RemovalPolicy_DESTROY, awss3.BucketProps{
		ServerAccessLogsBucket: logs,
		ServerAccessLogsPrefix: jsii.String("ui/"),
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
