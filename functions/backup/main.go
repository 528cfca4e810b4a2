// Command backup backs the data bucket up into the backup bucket. In
// Lambda the EventBridge schedules run it (incremental every 5 minutes,
// full daily at 02:00 UTC) and operators send it manual events; elsewhere
// it does what the replaced service's backup-restore.sh did:
//
//	backup run [--full] | list | verify [RUN] | restore RUN --to BUCKET[/PREFIX] [--overwrite]
//
// configured by SOURCE_BUCKET, BACKUP_BUCKET and the AWS SDK's variables.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/umlimages/umlimages/internal/backup"
	"github.com/umlimages/umlimages/internal/config"
	"github.com/umlimages/umlimages/internal/obs"
)

func main() {
	cfg := config.Must("backup", config.LoadBackup)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	awsCfg := obs.MustAWSConfig(ctx, "backup")
	src := s3.NewFromConfig(awsCfg, func(o *s3.Options) { o.UsePathStyle = cfg.S3ForcePathStyle })
	dst := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		o.UsePathStyle = cfg.S3ForcePathStyle
		if cfg.BackupRegion != "" {
			o.Region = cfg.BackupRegion
		}
	})
	opts := backup.Options{Concurrency: cfg.Concurrency, Prefixes: cfg.Prefixes, Namespace: cfg.Namespace, Retention: cfg.Retention,
		LockMode: types.ObjectLockMode(cfg.LockMode), ThawTier: types.Tier(cfg.ThawTier)}
	if cfg.InLambda {
		b := backup.New(src, cfg.SourceBucket, dst, cfg.BackupBucket, opts)
		rep := backup.NewReporter(obs.NewLogger(os.Stdout, cfg.LogLevel), cfg.MetricsNamespace)
		lambda.Start(func(ctx context.Context, ev backup.Event) (backup.Outcome, error) {
			return backup.Handle(ctx, b, rep, ev)
		})
		return
	}
	opts.Progress = backup.NewProgress(os.Stderr, backup.IsTerminal(os.Stderr))
	b := backup.New(src, cfg.SourceBucket, dst, cfg.BackupBucket, opts)
	os.Exit(backup.Command(ctx, os.Args[1:], os.Stdout, os.Stderr, b))
}
