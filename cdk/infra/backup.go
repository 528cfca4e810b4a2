package infra

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/umlimages/umlimages/internal/config"
)

// BackupProps configure a region's backup.
type BackupProps struct {
	Env      Env
	BuildDir string
	// Role names the region, and its namespace in the backup bucket.
	Role string
	Data *Data
	// Backups is the backup bucket (in the standby region).
	Backups awss3.IBucket
	Ops     *Ops
}

// NewBackup builds a region's backup function, next to the data it
// copies (each region's data bucket, so that what is saved in the standby
// after a failover is backed up too): incremental every 5 minutes (RPO 5
// min), full daily at 02:00 UTC; and the alarm on the newest backup's age.
func NewBackup(scope constructs.Construct, id string, p BackupProps) *Function {
	c := constructs.NewConstruct(scope, jsii.String(id))
	fn := NewFunction(c, "Backup", FunctionProps{
		Name: "backup", BuildDir: p.BuildDir, Async: true, Reserved: 1,
		Timeout: awscdk.Duration_Minutes(jsii.Number(15)), MemoryMB: 512,
		Environment: map[string]string{
			config.EnvSourceBucket:    *p.Data.Cache.BucketName(),
			config.EnvBackupBucket:    *p.Backups.BucketName(),
			config.EnvBackupRegion:    p.Env.StandbyRegion,
			config.EnvBackupRetention: fmt.Sprintf("%dh", BackupRetentionDays*24),
			config.EnvBackupLockMode:  or(p.Env.BackupLockMode, "GOVERNANCE"),
			config.EnvBackupNamespace: p.Role,
		},
	})
	p.Data.Cache.GrantRead(fn.Fn, nil)
	// Write and read backups, lock what it writes, thaw archived copies:
	// never delete, never bypass or change a lock or the lifecycle.
	fn.Fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("s3:ListBucket", "s3:GetBucketLocation"),
		Resources: jsii.Strings(*p.Backups.BucketArn()),
	}))
	fn.Fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("s3:GetObject", "s3:PutObject", "s3:PutObjectRetention", "s3:RestoreObject",
			"s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"),
		Resources: jsii.Strings(*p.Backups.ArnForObjects(jsii.String("*"))),
	}))
	schedule(c, "BackupIncremental", awsevents.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(5))), fn,
		map[string]string{"action": "backup", "kind": "incremental"})
	schedule(c, "BackupFull", awsevents.Schedule_Cron(&awsevents.CronOptions{Minute: jsii.String("0"), Hour: jsii.String("2")}), fn,
		map[string]string{"action": "backup", "kind": "full"})
	p.Ops.add(c, alarm{id: "BackupAge", critical: true, priority: "P2", runbook: "backup-age",
		what: "the newest backup is older than 10 minutes (RPO 5 minutes)",
		metric: awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(namespace), MetricName: jsii.String("NewestBackupAge"),
			DimensionsMap: &map[string]*string{"Service": jsii.String("backup")}, Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Maximum"),
		}),
		threshold: 600, periods: 2, missing: awscloudwatch.TreatMissingData_BREACHING})
	p.Ops.watch(c, "Backup", fn, nil)
	return fn
}
