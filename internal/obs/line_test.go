package obs

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"
)

// jsonLine is what slog's JSON handler writes for r.
func jsonLine(t testing.TB, r slog.Record) string {
	t.Helper()
	var buf bytes.Buffer
	if err := slog.NewJSONHandler(&buf, nil).Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func record(msg string, attrs ...slog.Attr) slog.Record {
	r := slog.NewRecord(time.Date(2026, 12, 1, 11, 37, 45, 584204173, time.UTC), slog.LevelInfo, msg, 0)
	r.AddAttrs(attrs...)
	return r
}

// TestFastLineIsTheJSONHandlersLine: the fast path writes byte for byte
// what slog's JSON handler writes, for every kind it takes, and declines
// the rest.
func TestFastLineIsTheJSONHandlersLine(t *testing.T) {
	emf := NewEMF("UMLImages", []string{"Service"}, MetricDef{"Latency", Milliseconds}, MetricDef{"BytesOut", Bytes})
	for _, r := range []slog.Record{
		record("request served", append(emf.Attrs(nil, time.UnixMilli(1796125065584), []string{"render"}, 0.125, 20000),
			slog.String("method", "GET"), slog.Int("status", 200), slog.Bool("hot", true), slog.Uint64("n", 7))...),
		record("floats", slog.Float64("zero", 0), slog.Float64("tiny", 1e-7), slog.Float64("huge", 3e21), slog.Float64("neg", -12.5),
			slog.Float64("big", 123456789012345), slog.Float64("third", 1.0/3), slog.Float64("one", 1), slog.Float64("count", 20000),
			slog.Float64("negzero", math.Copysign(0, -1)), slog.Float64("e15", 1e15), slog.Float64("negative", -3)),
		record("strings", slog.String("quote", `say "hi" \ back`), slog.String("ctl", "a\nb\tc\rd\x01\x1f"),
			slog.String("html", "<a href='x'>&</a>"), slog.String("bad", "\xff\xfe ok"), slog.String("sep", "x\u2028y\u2029z"),
			slog.String("unicode", "Grüße, 日本")),
		record("nested", slog.Group("g", slog.String("a", "1"), slog.Group("h", slog.Int("b", 2))), slog.Time("at", time.Unix(0, 5).UTC())),
	} {
		want := jsonLine(t, r)
		got, ok := appendRecord(nil, r)
		if !ok || string(got) != want {
			t.Errorf("fast %v:\n got %s\nwant %s", ok, got, want)
		}
	}
	for _, r := range []slog.Record{
		record("any", slog.Any("m", map[string]int{"a": 1})),
		record("nan", slog.Float64("x", math.NaN())),
	} {
		if _, ok := appendRecord(nil, r); ok {
			t.Errorf("fast path took %s", jsonLine(t, r))
		}
	}
}

// FuzzFastLine: any string the fast path writes is what slog writes.
func FuzzFastLine(f *testing.F) {
	for _, s := range []string{"", "plain", "q\"b\\", "\x00\x7f\xff", "\u2028", "<>&", "日本"} {
		f.Add(s, 1.5)
	}
	for _, x := range []float64{0, math.Copysign(0, -1), 1, -7, 999999999999999, 1e15, 1e21} {
		f.Add("n", x)
	}
	f.Fuzz(func(t *testing.T, s string, x float64) {
		r := record(s, slog.String(s+"k", s), slog.Float64("x", x))
		got, ok := appendRecord(nil, r)
		if !ok {
			if !math.IsNaN(x) && !math.IsInf(x, 0) {
				t.Fatalf("declined %q %v", s, x)
			}
			return
		}
		if want := jsonLine(t, r); string(got) != want {
			t.Fatalf("got %s\nwant %s", got, want)
		}
	})
}

// TestLineIsLogAttrs: Line writes what LogAttrs writes through slog's JSON
// handler (the time aside), request id included, and falls back to
// LogAttrs for what the fast path declines.
func TestLineIsLogAttrs(t *testing.T) {
	emf := NewEMF("UMLImages", []string{"Service"}, MetricDef{"Latency", Milliseconds})
	ctx := WithRequestID(context.Background(), "req-1")
	timeField := regexp.MustCompile(`^\{"time":"[^"]+",`)
	for _, attrs := range [][]slog.Attr{
		append(emf.Attrs(nil, time.UnixMilli(1796125065584), []string{"render"}, 0.125), slog.String("route", "GET /{type}"), slog.Int("status", 200)),
		{slog.Any("m", map[string]int{"a": 1})},
	} {
		var fast, slow bytes.Buffer
		Line(ctx, NewLogger(&fast, slog.LevelInfo), "request served", attrs)
		slog.New(slog.NewJSONHandler(&slow, nil)).LogAttrs(ctx, slog.LevelInfo, "request served", append(attrs, slog.String("request_id", "req-1"))...)
		got, want := timeField.ReplaceAllString(fast.String(), "{"), timeField.ReplaceAllString(slow.String(), "{")
		if got != want || !strings.HasSuffix(got, "\n") {
			t.Errorf("Line:\n got %s\nwant %s", got, want)
		}
	}
	var quiet bytes.Buffer
	Line(ctx, NewLogger(&quiet, slog.LevelWarn), "request served", nil)
	if quiet.Len() != 0 {
		t.Errorf("Line wrote below the logger's level: %s", quiet.String())
	}
}
