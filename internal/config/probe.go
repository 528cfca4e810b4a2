package config

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/umlimages/umlimages/internal/diagram"
)

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
	c.Timeout = duration(getenv, EnvProbeTimeout, DefaultProbeTimeout, &errs)
	c.LatencyBudget = duration(getenv, EnvLatencyBudget, DefaultLatencyBudget, &errs)
	c.LogLevel = level(getenv, &errs)
	if len(errs) > 0 {
		return Probe{}, fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return c, nil
}
