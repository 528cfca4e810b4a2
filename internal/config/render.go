package config

import (
	"time"

	"github.com/umlimages/umlimages/internal/diagram"
)

// Render is the render function's configuration.
type Render struct {
	Runtime
	KrokiURL         string
	KrokiVersion     string
	CacheBucket      string
	MaxSourceBytes   int
	MaxOutputBytes   int
	MaxInlineBytes   int // 0: no limit (outside Lambda)
	MemoryCacheBytes int
	// RenderTimeout is the one bound on a render: the request's deadline,
	// and the renderer call's however many requests wait for it.
	RenderTimeout time.Duration
	EnabledTypes  map[string]bool // canonical names; every type unless ENABLED_TYPES says otherwise
	PublicBaseURL string
	// OriginSecret, when set, is required in OriginHeader on every request.
	OriginSecret string
	ListenAddr   string
	// MemoryLimitMB is the Lambda function's memory size (0 outside
	// Lambda): each request reports its peak use against it.
	MemoryLimitMB int
}

// LoadRender reads the render function's configuration.
func LoadRender(getenv func(string) string) (Render, error) {
	e := &env{get: getenv}
	c := Render{
		Runtime:       e.runtime(),
		KrokiVersion:  e.str(EnvKrokiVersion, ""),
		CacheBucket:   e.required(EnvCacheBucket),
		PublicBaseURL: e.url(EnvPublicBaseURL),
		OriginSecret:  e.str(EnvOriginSecret, ""),
		ListenAddr:    e.str(EnvListenAddr, DefaultListenAddr),
	}
	if c.KrokiURL = e.url(EnvKrokiURL); c.KrokiURL == "" {
		e.required(EnvKrokiURL)
	}
	inline := 0
	if c.InLambda {
		inline = DefaultMaxInlineBytes
	}
	c.MaxSourceBytes = e.size(EnvMaxSourceBytes, DefaultMaxSourceBytes)
	c.MaxOutputBytes = e.size(EnvMaxOutputBytes, DefaultMaxOutputBytes)
	c.MaxInlineBytes = e.size(EnvMaxInlineBytes, inline)
	c.MemoryCacheBytes = e.size(EnvMemoryCacheBytes, DefaultMemoryCacheBytes)
	c.MemoryLimitMB = e.size(EnvLambdaMemorySize, 0)
	if c.MaxSourceBytes == 0 {
		e.fail(EnvMaxSourceBytes, "must be positive")
	}
	c.RenderTimeout = e.duration(EnvRenderTimeout, DefaultRenderTimeout, MaxRenderTimeout, false)
	c.EnabledTypes = map[string]bool{}
	var names []string
	if e.str(EnvEnabledTypes, "all") == "all" {
		for _, t := range diagram.Types() {
			names = append(names, t.Name)
		}
	} else {
		names = e.types(EnvEnabledTypes)
	}
	for _, n := range names {
		c.EnabledTypes[n] = true
	}
	if err := e.err(); err != nil {
		return Render{}, err
	}
	return c, nil
}
