package config

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Failover is the failover function's configuration. Without a hosted
// zone (HOSTED_ZONE_ID, RECORD_NAME, PRIMARY_TARGET and STANDBY_TARGET all
// unset: an environment without a domain) it only advises: it probes what
// it has a URL for, decides and tells the operators, and switches nothing
// (a target it cannot probe counts as unhealthy).
type Failover struct {
	HostedZoneID     string
	RecordName       string
	PrimaryTarget    string
	StandbyTarget    string
	PrimaryProbeURL  string
	StandbyProbeURL  string
	MinDwell         time.Duration
	StateBucket      string
	TopicARN         string
	SyncTimeout      time.Duration
	S3ForcePathStyle bool
	ProbeTimeout     time.Duration
	OriginSecret     string
	LogLevel         slog.Level
	InLambda         bool
}

// LoadFailover reads the failover function's configuration.
func LoadFailover(getenv func(string) string) (Failover, error) {
	var errs []error
	c := Failover{
		HostedZoneID:    getenv(EnvHostedZoneID),
		RecordName:      getenv(EnvRecordName),
		PrimaryTarget:   getenv(EnvPrimaryTarget),
		StandbyTarget:   getenv(EnvStandbyTarget),
		PrimaryProbeURL: getenv(EnvPrimaryProbeURL),
		StandbyProbeURL: getenv(EnvStandbyProbeURL),
		StateBucket:     getenv(EnvStateBucket),
		TopicARN:        getenv(EnvTopicARN),
		OriginSecret:    getenv(EnvOriginSecret),
		InLambda:        getenv(EnvLambdaRuntimeAPI) != "",
	}
	required := []struct{ name, v string }{{EnvStateBucket, c.StateBucket}}
	dns := []struct{ name, v string }{
		{EnvHostedZoneID, c.HostedZoneID}, {EnvRecordName, c.RecordName}, {EnvPrimaryTarget, c.PrimaryTarget}, {EnvStandbyTarget, c.StandbyTarget},
		{EnvPrimaryProbeURL, c.PrimaryProbeURL}, {EnvStandbyProbeURL, c.StandbyProbeURL},
	}
	if c.HostedZoneID != "" || c.RecordName != "" || c.PrimaryTarget != "" || c.StandbyTarget != "" {
		required = append(required, dns...)
	}
	for _, req := range required {
		if req.v == "" {
			errs = append(errs, fmt.Errorf("%s is required", req.name))
		}
	}
	for _, u := range []struct{ name, v string }{{EnvPrimaryProbeURL, c.PrimaryProbeURL}, {EnvStandbyProbeURL, c.StandbyProbeURL}} {
		if u.v != "" {
			if err := checkURL(u.v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", u.name, err))
			}
		}
	}
	c.MinDwell = durationOrZero(getenv, EnvMinDwell, DefaultMinDwell, &errs)
	c.SyncTimeout = duration(getenv, EnvSyncTimeout, DefaultSyncTimeout, &errs)
	c.ProbeTimeout = duration(getenv, EnvProbeTimeout, DefaultProbeTimeout, &errs)
	c.S3ForcePathStyle = boolean(getenv, EnvS3ForcePathStyle, &errs)
	c.LogLevel = level(getenv, &errs)
	if len(errs) > 0 {
		return Failover{}, fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return c, nil
}
