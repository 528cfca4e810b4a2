package config

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/umlimages/umlimages/internal/diagram"
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
