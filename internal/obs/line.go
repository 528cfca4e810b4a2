package obs

import (
	"context"
	"io"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// handler is the service's slog handler: slog's JSON handler, with a
// fast path for records made of plain values (strings, numbers, booleans,
// groups, pre-encoded JSON), which every request's log and EMF line is. It
// writes the same bytes as the JSON handler without reflection or a JSON
// encoder per number. Derived handlers (With, WithGroup) take the JSON
// handler's path.
type handler struct {
	json slog.Handler
	w    *lockedWriter
	fast bool
}

// lockedWriter serialises the two paths' writes, a line each.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.json.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	if h.fast {
		if line, ok := appendRecord(make([]byte, 0, 1024), r); ok {
			_, err := h.w.Write(line)
			return err
		}
	}
	return h.json.Handle(ctx, r)
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &handler{json: h.json.WithAttrs(attrs), w: h.w}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{json: h.json.WithGroup(name), w: h.w}
}

// Line logs msg at info level with attrs, as l.LogAttrs does. With this
// package's logger it writes the line straight from attrs, with no
// slog.Record and a pooled buffer: the request line, once per request.
func Line(ctx context.Context, l *slog.Logger, msg string, attrs []slog.Attr) {
	h, ours := l.Handler().(*handler)
	if !ours || !h.fast || !h.Enabled(ctx, slog.LevelInfo) {
		l.LogAttrs(ctx, slog.LevelInfo, msg, attrs...)
		return
	}
	bp := lineBuffers.Get().(*[]byte)
	defer lineBuffers.Put(bp)
	b := appendHead((*bp)[:0], time.Now(), slog.LevelInfo, msg)
	ok := true
	for _, a := range attrs {
		b = append(b, ',')
		if b, ok = appendAttr(b, a); !ok {
			l.LogAttrs(ctx, slog.LevelInfo, msg, attrs...)
			return
		}
	}
	if id := RequestID(ctx); id != "" {
		b, _ = appendAttr(append(b, ','), slog.String("request_id", id))
	}
	*bp = append(b, "}\n"...)
	h.w.Write(*bp)
}

var lineBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// appendHead writes a record's opening: its time, level and message.
func appendHead(b []byte, t time.Time, l slog.Level, msg string) []byte {
	b = append(b, `{"time":`...)
	b = appendTime(b, t)
	b = append(b, `,"level":`...)
	b = appendString(b, l.String())
	b = append(b, `,"msg":`...)
	return appendString(b, msg)
}

// appendRecord writes r as slog's JSON handler would; ok is false when r
// holds a value the fast path does not write.
func appendRecord(b []byte, r slog.Record) ([]byte, bool) {
	b = appendHead(b, r.Time, r.Level, r.Message)
	ok := true
	r.Attrs(func(a slog.Attr) bool {
		b = append(b, ',')
		b, ok = appendAttr(b, a)
		return ok
	})
	return append(b, "}\n"...), ok
}

// appendAttr writes "key":value.
func appendAttr(b []byte, a slog.Attr) ([]byte, bool) {
	if a.Key == "" {
		return b, false
	}
	b = appendString(b, a.Key)
	b = append(b, ':')
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return appendString(b, v.String()), true
	case slog.KindInt64:
		return strconv.AppendInt(b, v.Int64(), 10), true
	case slog.KindUint64:
		return strconv.AppendUint(b, v.Uint64(), 10), true
	case slog.KindFloat64:
		return appendFloat(b, v.Float64())
	case slog.KindBool:
		return strconv.AppendBool(b, v.Bool()), true
	case slog.KindTime:
		return appendTime(b, v.Time()), true
	case slog.KindGroup:
		attrs := v.Group()
		if len(attrs) == 0 {
			return b, false
		}
		b = append(b, '{')
		for i, g := range attrs {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendAttr(b, g); !ok {
				return b, false
			}
		}
		return append(b, '}'), true
	case slog.KindAny:
		switch x := v.Any().(type) {
		case preEncoded:
			return append(b, x...), true
		case emfMetadata:
			return x.append(b), true
		}
	}
	return b, false
}

// preEncoded is JSON encoded once (EMF's metadata): the fast path writes
// it as it is, the JSON handler through MarshalJSON.
type preEncoded []byte

// MarshalJSON returns the encoding.
func (p preEncoded) MarshalJSON() ([]byte, error) { return p, nil }

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendFloat formats f as encoding/json does (which slog's JSON handler
// calls for floats).
func appendFloat(b []byte, f float64) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, false
	}
	if i := int64(f); float64(i) == f && i > -1e15 && i < 1e15 && (i != 0 || !math.Signbit(f)) {
		return strconv.AppendInt(b, i, 10), true // the counts and flags: as 'f' writes them, faster
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, true
}

// appendString writes s as a JSON string the way slog's JSON handler
// does: quotes, backslashes and control characters escaped, invalid UTF-8
// replaced, U+2028 and U+2029 escaped; HTML characters kept.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
