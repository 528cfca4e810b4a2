package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"time"
)

// The readers every loader shares: each reports its problem into errs and
// returns the default, so a loader reports every problem at once.

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

func durationOrZero(getenv func(string) string, name string, def time.Duration, errs *[]error) time.Duration {
	if getenv(name) == "0" || getenv(name) == "0s" {
		return 0
	}
	return duration(getenv, name, def, errs)
}
