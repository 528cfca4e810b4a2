package config

import "time"

// Probe is the health probe's configuration.
type Probe struct {
	Runtime
	// Engines to probe; empty: every type the API enables.
	Engines       []string
	Timeout       time.Duration
	LatencyBudget time.Duration
	// OriginSecret is sent in OriginHeader to the regional APIs.
	OriginSecret string
}

// LoadProbe reads the health probe's configuration.
func LoadProbe(getenv func(string) string) (Probe, error) {
	e := &env{get: getenv}
	c := Probe{
		Runtime:       e.runtime(),
		Engines:       e.types(EnvProbeEngines),
		Timeout:       e.duration(EnvProbeTimeout, DefaultProbeTimeout, 0, false),
		LatencyBudget: e.duration(EnvLatencyBudget, DefaultLatencyBudget, 0, false),
		OriginSecret:  e.str(EnvOriginSecret, ""),
	}
	if err := e.err(); err != nil {
		return Probe{}, err
	}
	return c, nil
}
