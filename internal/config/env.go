package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/umlimages/umlimages/internal/diagram"
)

// Runtime is what every function reads the same way.
type Runtime struct {
	LogLevel         slog.Level
	MetricsNamespace string
	InLambda         bool
	S3ForcePathStyle bool
}

// env reads variables for one loader: each reader reports its problem and
// returns the default, so the loader reports every problem at once.
type env struct {
	get  func(string) string
	errs []error
}

func (e *env) fail(name, format string, args ...any) {
	e.errs = append(e.errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
}

// err is every problem found, or nil.
func (e *env) err() error {
	if len(e.errs) == 0 {
		return nil
	}
	return fmt.Errorf("config: %w", errors.Join(e.errs...))
}

func (e *env) runtime() Runtime {
	return Runtime{
		LogLevel:         e.level(),
		MetricsNamespace: e.str(EnvMetricsNamespace, DefaultNamespace),
		InLambda:         e.get(EnvLambdaRuntimeAPI) != "",
		S3ForcePathStyle: e.boolean(EnvS3ForcePathStyle),
	}
}

func (e *env) str(name, def string) string {
	if v := strings.TrimSpace(e.get(name)); v != "" {
		return v
	}
	return def
}

func (e *env) required(name string) string {
	v := e.str(name, "")
	if v == "" {
		e.errs = append(e.errs, fmt.Errorf("%s is required", name))
	}
	return v
}

// url reads an http(s) URL without its trailing slash; "" when unset.
func (e *env) url(name string) string {
	raw := strings.TrimRight(e.str(name, ""), "/")
	if raw == "" {
		return ""
	}
	if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		e.fail(name, "%q is not an http(s) URL", raw)
	}
	return raw
}

func (e *env) oneOf(name, def string, allowed ...string) string {
	v := e.str(name, def)
	if !slices.Contains(allowed, v) {
		e.fail(name, "%q is not %s", v, strings.Join(allowed, ", "))
	}
	return v
}

func (e *env) size(name string, def int) int {
	v := e.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		e.fail(name, "%q is not a byte count", v)
		return def
	}
	return n
}

// duration reads a positive duration at most max (0: no bound); zero
// allows "0" to turn the setting off.
func (e *env) duration(name string, def, max time.Duration, zero bool) time.Duration {
	v := e.str(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	switch {
	case zero && err == nil && d == 0:
		return 0
	case err != nil || d <= 0:
		e.fail(name, "%q is not a positive duration such as 5s", v)
	case max > 0 && d > max:
		e.fail(name, "%s is more than %s", d, max)
	default:
		return d
	}
	return def
}

func (e *env) boolean(name string) bool {
	v := e.str(name, "")
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		e.fail(name, "%q is not true or false", v)
	}
	return b
}

func (e *env) level() slog.Level {
	var l slog.Level
	if v := e.str(EnvLogLevel, ""); v != "" {
		if err := l.UnmarshalText([]byte(v)); err != nil {
			e.fail(EnvLogLevel, "%q is not debug, info, warn or error", v)
		}
	}
	return l
}

// types reads a comma-separated list of diagram types as canonical names.
func (e *env) types(name string) []string {
	var out []string
	v := e.str(name, "")
	if v == "" {
		return nil
	}
	for _, n := range strings.Split(v, ",") {
		t, ok := diagram.Lookup(strings.TrimSpace(n))
		if !ok {
			e.fail(name, "unknown diagram type %q", strings.TrimSpace(n))
			continue
		}
		out = append(out, t.Name)
	}
	return out
}
