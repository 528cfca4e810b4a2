// Command failover moves the public name between the primary and the
// standby region. In Lambda it takes the probe alarm's state changes
// (through EventBridge) and manual events; elsewhere it is a command:
//
//	failover status | failover | failback [--dry-run] [--reason TEXT]
//
// configured by HOSTED_ZONE_ID, RECORD_NAME, PRIMARY_TARGET, STANDBY_TARGET
// (all four, or none: then it only advises), ORIGIN_SECRET,
// PRIMARY_PROBE_URL, STANDBY_PROBE_URL, MIN_DWELL, STATE_BUCKET, TOPIC_ARN
// and the AWS SDK's variables.
package main

import (
	"context"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/umlimages/umlimages/internal/config"
	"github.com/umlimages/umlimages/internal/failover"
	"github.com/umlimages/umlimages/internal/obs"
	"github.com/umlimages/umlimages/internal/probe"
)

func main() {
	cfg := config.Must("failover", config.LoadFailover)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	awsCfg := obs.MustAWSConfig(ctx, "failover")
	hc := obs.TraceHTTP(&http.Client{})
	sw := failover.New(
		route53.NewFromConfig(awsCfg),
		s3.NewFromConfig(awsCfg, func(o *s3.Options) { o.UsePathStyle = cfg.S3ForcePathStyle }),
		sns.NewFromConfig(awsCfg),
		failover.ProbeChecker{Prober: probe.New(hc, probe.Options{Timeout: cfg.ProbeTimeout, Header: config.OriginHeaders(cfg.OriginSecret)})},
		failover.Options{
			HostedZoneID: cfg.HostedZoneID,
			RecordName:   cfg.RecordName,
			Targets:      map[string]string{failover.Primary: cfg.PrimaryTarget, failover.Standby: cfg.StandbyTarget},
			ProbeURLs:    map[string]string{failover.Primary: cfg.PrimaryProbeURL, failover.Standby: cfg.StandbyProbeURL},
			MinDwell:     cfg.MinDwell,
			StateBucket:  cfg.StateBucket,
			TopicARN:     cfg.TopicARN,
			SyncTimeout:  cfg.SyncTimeout,
		},
	)
	if cfg.InLambda {
		log := obs.NewLogger(os.Stdout, cfg.LogLevel)
		lambda.Start(func(ctx context.Context, ev failover.Event) (failover.Report, error) {
			rep, err := sw.Handle(ctx, ev.Trigger())
			log.InfoContext(ctx, "failover decided", "outcome", rep.Outcome, "report", rep)
			return rep, err
		})
		return
	}
	os.Exit(failover.Command(ctx, os.Args[1:], os.Stdout, os.Stderr, sw))
}
