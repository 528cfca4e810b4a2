package diagram

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits on render options: they travel to the renderer as HTTP headers and
// are part of the cache key, so they are bounded and header-safe.
const (
	MaxOptions        = 32
	MaxOptionKeyLen   = 64
	MaxOptionValueLen = 1024
)

// HeaderPrefix introduces a render option in a request header, as Kroki
// reads it: Kroki-Diagram-Options-Theme: dark.
const HeaderPrefix = "Kroki-Diagram-Options-"

// Options are render options keyed by lower-case name.
type Options map[string]string

// MergeOptions combines the three places a client may put options. On a
// clash JSON wins over a header, a header over the query string. Keys are
// lower-cased; every key and value is checked.
func MergeOptions(query url.Values, header http.Header, body map[string]any) (Options, error) {
	opts := Options{}
	for k, vs := range query {
		if len(vs) > 0 {
			if err := opts.set(k, vs[len(vs)-1]); err != nil {
				return nil, err
			}
		}
	}
	for k, vs := range header {
		if len(k) > len(HeaderPrefix) && strings.EqualFold(k[:len(HeaderPrefix)], HeaderPrefix) && len(vs) > 0 {
			if err := opts.set(k[len(HeaderPrefix):], vs[len(vs)-1]); err != nil {
				return nil, err
			}
		}
	}
	for k, v := range body {
		s, err := optionString(k, v)
		if err != nil {
			return nil, err
		}
		if err := opts.set(k, s); err != nil {
			return nil, err
		}
	}
	if len(opts) > MaxOptions {
		return nil, Errorf(ErrBadOptions, "%d options, the limit is %d", len(opts), MaxOptions)
	}
	return opts, nil
}

func optionString(k string, v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case bool:
		return strconv.FormatBool(v), nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case json.Number:
		return v.String(), nil
	default:
		return "", Errorf(ErrBadOptions, "option %q must be a string, number or boolean", k)
	}
}

func (o Options) set(key, value string) error {
	key = strings.ToLower(key)
	if key == "" || len(key) > MaxOptionKeyLen {
		return Errorf(ErrBadOptions, "option names are 1 to %d characters", MaxOptionKeyLen)
	}
	for _, c := range key {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return Errorf(ErrBadOptions, "option name %q may hold only letters, digits, '-', '_' and '.'", key)
		}
	}
	if len(value) > MaxOptionValueLen {
		return Errorf(ErrBadOptions, "option %q is longer than %d bytes", key, MaxOptionValueLen)
	}
	if !utf8.ValidString(value) {
		return Errorf(ErrBadOptions, "option %q is not UTF-8", key)
	}
	for _, c := range value {
		if c < 0x20 || c == 0x7f {
			return Errorf(ErrBadOptions, "option %q holds a control character", key)
		}
	}
	o[key] = value
	return nil
}

// Canonical is the options in one stable form (sorted, query-escaped), for
// the cache key.
func (o Options) Canonical() string {
	if len(o) == 0 {
		return ""
	}
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(k))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(o[k]))
	}
	return b.String()
}
