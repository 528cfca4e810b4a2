// Package config loads each function's settings from its environment. Each
// loader takes getenv, so tests never touch the process environment, and
// reports every problem at once. The variable names are constants here,
// shared with the CDK code that sets them.
package config

import (
	"fmt"
	"net/http"
	"os"
	"time"
)

// Must loads a function's configuration from the process environment, or
// exits with status 2 saying what is wrong.
func Must[T any](name string, load func(getenv func(string) string) (T, error)) T {
	c, err := load(os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(2)
	}
	return c
}

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
	EnvLambdaMemorySize = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"
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

// SVGContentSecurityPolicy sandboxes an SVG opened as a document, or
// embedded with <object> or <embed>: no script, no fetches, inline styles
// and data: images only; its links still work when a user clicks them
// (PlantUML writes target="_top", graphviz URL and target), in the page
// or a new window. The render API sends it with every SVG; CloudFront sets
// it on /renders/.
const SVGContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; " +
	"sandbox allow-top-navigation-by-user-activation allow-popups allow-popups-to-escape-sandbox"

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
	// DefaultProbeTimeout bounds each probe check; DefaultLatencyBudget is
	// the p95 alert threshold of docs/operations.md, past which a passing check warns.
	DefaultProbeTimeout  = 5 * time.Second
	DefaultLatencyBudget = 2 * time.Second
	// DefaultSyncTimeout bounds the wait for Route 53's INSYNC;
	// DefaultMinDwell is the least time between two switches.
	DefaultSyncTimeout = 3 * time.Minute
	DefaultMinDwell    = 15 * time.Minute
	// DefaultBackupConcurrency is how many copies a backup makes at once.
	DefaultBackupConcurrency = 16
	// DefaultMemoryCacheBytes is the in-process tier of hot renders.
	DefaultMemoryCacheBytes = 64 << 20
	MaxRenderTimeout        = 28 * time.Second
	DefaultListenAddr       = "127.0.0.1:9001"
	DefaultNamespace        = "UMLImages"
)
