// Package config loads each function's settings from its environment. Each
// loader takes getenv, so tests never touch the process environment, and
// reports every problem at once. The variable names are constants here,
// shared with the CDK code that sets them.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/umlimages/umlimages/internal/diagram"
)

// Environment variable names.
const (
	EnvKrokiURL         = "KROKI_URL"
	EnvKrokiVersion     = "KROKI_VERSION"
	EnvCacheBucket      = "CACHE_BUCKET"
	EnvMaxSourceBytes   = "MAX_SOURCE_BYTES"
	EnvMaxOutputBytes   = "MAX_OUTPUT_BYTES"
	EnvMaxInlineBytes   = "MAX_INLINE_BYTES"
	EnvMemoryCacheBytes = "MEMORY_CACHE_BYTES"
	EnvRenderTimeout    = "RENDER_TIMEOUT"
	EnvEnabledTypes     = "ENABLED_TYPES"
	EnvPublicBaseURL    = "PUBLIC_BASE_URL"
	EnvS3ForcePathStyle = "S3_FORCE_PATH_STYLE"
	EnvListenAddr       = "LISTEN_ADDR"
	EnvLogLevel         = "LOG_LEVEL"
	EnvMetricsNamespace = "METRICS_NAMESPACE"
	EnvLambdaRuntimeAPI = "AWS_LAMBDA_RUNTIME_API"
	EnvSourceBucket     = "SOURCE_BUCKET"
	EnvBackupBucket     = "BACKUP_BUCKET"
	EnvBackupRegion     = "BACKUP_REGION"
	EnvBackupWorkers    = "BACKUP_CONCURRENCY"
	EnvHostedZoneID     = "HOSTED_ZONE_ID"
	EnvRecordName       = "RECORD_NAME"
	EnvPrimaryTarget    = "PRIMARY_TARGET"
	EnvStandbyTarget    = "STANDBY_TARGET"
	EnvPrimaryProbeURL  = "PRIMARY_PROBE_URL"
	EnvStandbyProbeURL  = "STANDBY_PROBE_URL"
	EnvMinDwell         = "MIN_DWELL"
	EnvStateBucket      = "STATE_BUCKET"
	EnvTopicARN         = "TOPIC_ARN"
	EnvSyncTimeout      = "SYNC_TIMEOUT"
	EnvProbeEngines     = "PROBE_ENGINES"
	EnvProbeTimeout     = "PROBE_TIMEOUT"
	EnvLatencyBudget    = "LATENCY_BUDGET"
	EnvOriginSecret     = "ORIGIN_SECRET"
	EnvBackupPrefixes   = "BACKUP_PREFIXES"
	EnvBackupRetention  = "BACKUP_RETENTION"
	EnvBackupLockMode   = "BACKUP_LOCK_MODE"
	EnvBackupThawTier   = "BACKUP_THAW_TIER"
	EnvBackupNamespace  = "BACKUP_NAMESPACE"
)

// OriginHeader carries the secret CloudFront adds to every request it
// sends the render API (the origin lock): with ORIGIN_SECRET set, the API
// refuses requests without it, and the probes send it.
const OriginHeader = "X-Origin-Verify"

// ProbeHeader marks the health probe's fresh canaries: the render API
// renders them and stores nothing (they are not data), answering
// Cache-Control: no-store.
const ProbeHeader = "X-UML-Images-Probe"

// OriginHeaders are the headers a probe sends to pass the origin lock
// (none without a secret).
func OriginHeaders(secret string) http.Header {
	if secret == "" {
		return nil
	}
	return http.Header{OriginHeader: {secret}}
}

// UIContentSecurityPolicy is the web UI's CSP, set by CloudFront in AWS and
// by `make dev`'s UI server: everything from our own origin; renders are
// shown as blob: or data: images.
const UIContentSecurityPolicy = "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// SVGContentSecurityPolicy sandboxes an SVG opened as a document: no
// script, no fetches, inline styles and data: images only. The render API
// sends it with every SVG; CloudFront sets it on /renders/.
const SVGContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; sandbox"

// The probe alarm that starts a failover: the probe's verdict on the
// primary (ProbeAvailability, one datapoint a minute, minimum) below 1 in
// each of ProbeAlarmMinutes consecutive minutes. The CDK builds it, the
// drill evaluates it.
const ProbeAlarmMinutes = 3

// Defaults and bounds.
const (
	DefaultMaxSourceBytes = 1 << 20
	DefaultMaxOutputBytes = 32 << 20
	// DefaultMaxInlineBytes keeps a buffered Lambda response, base64-encoded
	// in its JSON envelope, under the 6 MB payload limit.
	DefaultMaxInlineBytes = 4 << 20
	// DefaultRenderTimeout leaves the Lambda time to answer before API
	// Gateway's 29 s integration timeout.
	DefaultRenderTimeout = 25 * time.Second
	// DefaultMemoryCacheBytes is the in-process tier of hot renders.
	DefaultMemoryCacheBytes = 64 << 20
	MaxRenderTimeout        = 28 * time.Second
	DefaultListenAddr       = "127.0.0.1:9001"
	DefaultNamespace        = "UMLImages"
)

// Render is the render function's configuration.
type Render struct {
	KrokiURL         string
	KrokiVersion     string
	CacheBucket      string
	MaxSourceBytes   int
	MaxOutputBytes   int
	MaxInlineBytes   int // 0: no limit (outside Lambda)
	MemoryCacheBytes int
	RenderTimeout    time.Duration
	EnabledTypes     map[string]bool // canonical names; every type unless ENABLED_TYPES says otherwise
	PublicBaseURL    string
	// OriginSecret, when set, is required in OriginHeader on every request.
	OriginSecret     string
	S3ForcePathStyle bool
	ListenAddr       string
	LogLevel         slog.Level
	MetricsNamespace string
	InLambda         bool
}

// LoadRender reads the render function's configuration.
func LoadRender(getenv func(string) string) (Render, error) {
	var errs []error
	c := Render{
		KrokiURL:         strings.TrimRight(getenv(EnvKrokiURL), "/"),
		KrokiVersion:     getenv(EnvKrokiVersion),
		CacheBucket:      getenv(EnvCacheBucket),
		PublicBaseURL:    strings.TrimRight(getenv(EnvPublicBaseURL), "/"),
		OriginSecret:     getenv(EnvOriginSecret),
		ListenAddr:       or(getenv(EnvListenAddr), DefaultListenAddr),
		MetricsNamespace: or(getenv(EnvMetricsNamespace), DefaultNamespace),
		InLambda:         getenv(EnvLambdaRuntimeAPI) != "",
	}
	if c.KrokiURL == "" {
		errs = append(errs, fmt.Errorf("%s is required", EnvKrokiURL))
	} else if err := checkURL(c.KrokiURL); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", EnvKrokiURL, err))
	}
	if c.CacheBucket == "" {
		errs = append(errs, fmt.Errorf("%s is required", EnvCacheBucket))
	}
	if c.PublicBaseURL != "" {
		if err := checkURL(c.PublicBaseURL); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", EnvPublicBaseURL, err))
		}
	}
	inline := 0
	if c.InLambda {
		inline = DefaultMaxInlineBytes
	}
	c.MaxSourceBytes = size(getenv, EnvMaxSourceBytes, DefaultMaxSourceBytes, &errs)
	c.MaxOutputBytes = size(getenv, EnvMaxOutputBytes, DefaultMaxOutputBytes, &errs)
	c.MaxInlineBytes = size(getenv, EnvMaxInlineBytes, inline, &errs)
	c.MemoryCacheBytes = size(getenv, EnvMemoryCacheBytes, DefaultMemoryCacheBytes, &errs)
	if c.MaxSourceBytes == 0 {
		errs = append(errs, fmt.Errorf("%s: must be positive", EnvMaxSourceBytes))
	}
	c.RenderTimeout = DefaultRenderTimeout
	if v := getenv(EnvRenderTimeout); v != "" {
		d, err := time.ParseDuration(v)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %q is not a duration such as 20s", EnvRenderTimeout, v))
		case d <= 0 || d > MaxRenderTimeout:
			errs = append(errs, fmt.Errorf("%s: %s is outside (0, %s]: API Gateway gives up at 29s", EnvRenderTimeout, d, MaxRenderTimeout))
		default:
			c.RenderTimeout = d
		}
	}
	c.EnabledTypes = map[string]bool{}
	if v := strings.TrimSpace(getenv(EnvEnabledTypes)); v == "" || v == "all" {
		for _, t := range diagram.Types() {
			c.EnabledTypes[t.Name] = true
		}
	} else {
		for _, name := range strings.Split(v, ",") {
			t, ok := diagram.Lookup(strings.TrimSpace(name))
			if !ok {
				errs = append(errs, fmt.Errorf("%s: unknown diagram type %q", EnvEnabledTypes, strings.TrimSpace(name)))
				continue
			}
			c.EnabledTypes[t.Name] = true
		}
	}
	c.S3ForcePathStyle = boolean(getenv, EnvS3ForcePathStyle, &errs)
	c.LogLevel = level(getenv, &errs)
	if len(errs) > 0 {
		return Render{}, fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return c, nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", raw)
	}
	return nil
}

func size(getenv func(string) string, name string, def int, errs *[]error) int {
	v := getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		*errs = append(*errs, fmt.Errorf("%s: %q is not a byte count", name, v))
		return def
	}
	return n
}

// Probe is the health probe's configuration.
type Probe struct {
	// Engines to probe; empty: every type the API enables.
	Engines       []string
	Timeout       time.Duration
	LatencyBudget time.Duration
	// OriginSecret is sent in OriginHeader to the regional APIs.
	OriginSecret     string
	LogLevel         slog.Level
	MetricsNamespace string
	InLambda         bool
}

// LoadProbe reads the health probe's configuration.
func LoadProbe(getenv func(string) string) (Probe, error) {
	var errs []error
	c := Probe{
		OriginSecret:     getenv(EnvOriginSecret),
		MetricsNamespace: or(getenv(EnvMetricsNamespace), DefaultNamespace),
		InLambda:         getenv(EnvLambdaRuntimeAPI) != "",
	}
	if v := strings.TrimSpace(getenv(EnvProbeEngines)); v != "" {
		for _, name := range strings.Split(v, ",") {
			t, ok := diagram.Lookup(strings.TrimSpace(name))
			if !ok {
				errs = append(errs, fmt.Errorf("%s: unknown diagram type %q", EnvProbeEngines, strings.TrimSpace(name)))
				continue
			}
			c.Engines = append(c.Engines, t.Name)
		}
	}
	c.Timeout = duration(getenv, EnvProbeTimeout, 5*time.Second, &errs)
	c.LatencyBudget = duration(getenv, EnvLatencyBudget, 2*time.Second, &errs)
	c.LogLevel = level(getenv, &errs)
	if len(errs) > 0 {
		return Probe{}, fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return c, nil
}

func duration(getenv func(string) string, name string, def time.Duration, errs *[]error) time.Duration {
	v := getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		*errs = append(*errs, fmt.Errorf("%s: %q is not a positive duration such as 5s", name, v))
		return def
	}
	return d
}

func level(getenv func(string) string, errs *[]error) slog.Level {
	var l slog.Level
	if v := getenv(EnvLogLevel); v != "" {
		if err := l.UnmarshalText([]byte(v)); err != nil {
			*errs = append(*errs, fmt.Errorf("%s: %q is not debug, info, warn or error", EnvLogLevel, v))
		}
	}
	return l
}

// Backup is the backup function's configuration.
type Backup struct {
	SourceBucket string
	BackupBucket string
	// BackupRegion is the backup bucket's region (the standby's), when it
	// differs from AWS_REGION.
	BackupRegion string
	// Prefixes are what is backed up (default diagrams/, and failover/
	// always); Namespace keeps this region's backups apart.
	Prefixes  []string
	Namespace string
	// Retention and LockMode are the Object Lock of every backup copy
	// (0: none); ThawTier the archive retrieval tier of restores.
	Retention        time.Duration
	LockMode         string
	ThawTier         string
	Concurrency      int
	S3ForcePathStyle bool
	LogLevel         slog.Level
	MetricsNamespace string
	InLambda         bool
}

// LoadBackup reads the backup function's configuration.
func LoadBackup(getenv func(string) string) (Backup, error) {
	var errs []error
	c := Backup{
		SourceBucket:     getenv(EnvSourceBucket),
		BackupBucket:     getenv(EnvBackupBucket),
		BackupRegion:     getenv(EnvBackupRegion),
		MetricsNamespace: or(getenv(EnvMetricsNamespace), DefaultNamespace),
		InLambda:         getenv(EnvLambdaRuntimeAPI) != "",
	}
	for name, v := range map[string]string{EnvSourceBucket: c.SourceBucket, EnvBackupBucket: c.BackupBucket} {
		if v == "" {
			errs = append(errs, fmt.Errorf("%s is required", name))
		}
	}
	if c.SourceBucket != "" && c.SourceBucket == c.BackupBucket {
		errs = append(errs, fmt.Errorf("%s and %s must differ", EnvSourceBucket, EnvBackupBucket))
	}
	c.Concurrency = size(getenv, EnvBackupWorkers, 16, &errs)
	c.Namespace = getenv(EnvBackupNamespace)
	// The failover's state is always backed up; BACKUP_PREFIXES names the
	// rest (default diagrams/).
	c.Prefixes = []string{"failover/"}
	for _, p := range strings.Split(or(strings.TrimSpace(getenv(EnvBackupPrefixes)), "diagrams/"), ",") {
		switch p = strings.TrimSpace(p); {
		case p == "" || strings.HasPrefix(p, "/") || !strings.HasSuffix(p, "/"):
			errs = append(errs, fmt.Errorf("%s: %q is not a prefix such as diagrams/", EnvBackupPrefixes, p))
		case !slices.Contains(c.Prefixes, p):
			c.Prefixes = append(c.Prefixes, p)
		}
	}
	c.Retention = durationOrZero(getenv, EnvBackupRetention, 0, &errs)
	c.LockMode = strings.ToUpper(or(getenv(EnvBackupLockMode), "GOVERNANCE"))
	if c.LockMode != "GOVERNANCE" && c.LockMode != "COMPLIANCE" {
		errs = append(errs, fmt.Errorf("%s: %q is not GOVERNANCE or COMPLIANCE", EnvBackupLockMode, c.LockMode))
	}
	c.ThawTier = or(getenv(EnvBackupThawTier), "Standard")
	if c.ThawTier != "Standard" && c.ThawTier != "Bulk" && c.ThawTier != "Expedited" {
		errs = append(errs, fmt.Errorf("%s: %q is not Standard, Bulk or Expedited", EnvBackupThawTier, c.ThawTier))
	}
	c.S3ForcePathStyle = boolean(getenv, EnvS3ForcePathStyle, &errs)
	c.LogLevel = level(getenv, &errs)
	if len(errs) > 0 {
		return Backup{}, fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return c, nil
}

func boolean(getenv func(string) string, name string, errs *[]error) bool {
	v := getenv(name)
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		*errs = append(*errs, fmt.Errorf("%s: %q is not true or false", name, v))
	}
	return b
}

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
	c.MinDwell = durationOrZero(getenv, EnvMinDwell, 15*time.Minute, &errs)
	c.SyncTimeout = duration(getenv, EnvSyncTimeout, 3*time.Minute, &errs)
	c.ProbeTimeout = duration(getenv, EnvProbeTimeout, 5*time.Second, &errs)
	c.S3ForcePathStyle = boolean(getenv, EnvS3ForcePathStyle, &errs)
	c.LogLevel = level(getenv, &errs)
	if len(errs) > 0 {
		return Failover{}, fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return c, nil
}

func durationOrZero(getenv func(string) string, name string, def time.Duration, errs *[]error) time.Duration {
	if getenv(name) == "0" || getenv(name) == "0s" {
		return 0
	}
	return duration(getenv, name, def, errs)
}
