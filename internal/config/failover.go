package config

import "time"

// Failover is the failover function's configuration. Without a hosted
// zone (HOSTED_ZONE_ID, RECORD_NAME, PRIMARY_TARGET and STANDBY_TARGET all
// unset: an environment without a domain) it only advises: it probes what
// it has a URL for, decides and tells the operators, and switches nothing
// (a target it cannot probe counts as unhealthy).
type Failover struct {
	Runtime
	HostedZoneID    string
	RecordName      string
	PrimaryTarget   string
	StandbyTarget   string
	PrimaryProbeURL string
	StandbyProbeURL string
	MinDwell        time.Duration
	StateBucket     string
	TopicARN        string
	SyncTimeout     time.Duration
	ProbeTimeout    time.Duration
	OriginSecret    string
}

// LoadFailover reads the failover function's configuration.
func LoadFailover(getenv func(string) string) (Failover, error) {
	e := &env{get: getenv}
	c := Failover{
		Runtime:         e.runtime(),
		HostedZoneID:    e.str(EnvHostedZoneID, ""),
		RecordName:      e.str(EnvRecordName, ""),
		PrimaryTarget:   e.str(EnvPrimaryTarget, ""),
		StandbyTarget:   e.str(EnvStandbyTarget, ""),
		PrimaryProbeURL: e.url(EnvPrimaryProbeURL),
		StandbyProbeURL: e.url(EnvStandbyProbeURL),
		StateBucket:     e.required(EnvStateBucket),
		TopicARN:        e.str(EnvTopicARN, ""),
		OriginSecret:    e.str(EnvOriginSecret, ""),
		MinDwell:        e.duration(EnvMinDwell, DefaultMinDwell, 0, true),
		SyncTimeout:     e.duration(EnvSyncTimeout, DefaultSyncTimeout, 0, false),
		ProbeTimeout:    e.duration(EnvProbeTimeout, DefaultProbeTimeout, 0, false),
	}
	if c.HostedZoneID != "" || c.RecordName != "" || c.PrimaryTarget != "" || c.StandbyTarget != "" {
		for _, f := range []struct{ name, v string }{
			{EnvHostedZoneID, c.HostedZoneID}, {EnvRecordName, c.RecordName}, {EnvPrimaryTarget, c.PrimaryTarget},
			{EnvStandbyTarget, c.StandbyTarget}, {EnvPrimaryProbeURL, c.PrimaryProbeURL}, {EnvStandbyProbeURL, c.StandbyProbeURL},
		} {
			if f.v == "" {
				e.required(f.name)
			}
		}
	}
	if err := e.err(); err != nil {
		return Failover{}, err
	}
	return c, nil
}
