package render_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/umlimages/umlimages/internal/testsupport/s3test"
)

// benchmarkHit measures the handler serving a cached 20 KB SVG, in
// process (no network between client and handler).
func benchmarkHit(b *testing.B, memoryBytes int) {
	k := newFakeKroki(b)
	s := newStackLogging(b, k.URL, k, s3test.Start(b), memoryBytes, io.Discard)
	path := "/graphviz/svg/" + enc("big:20000")
	req := httptest.NewRequest(http.MethodGet, path, nil)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 200 {
		b.Fatalf("warm-up: %d", rec.Code)
	}
	b.ReportAllocs()
	b.SetBytes(20000)
	for b.Loop() {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 200 || rec.Header().Get("X-Cache") != "hit" {
			b.Fatalf("got %d %s", rec.Code, rec.Header().Get("X-Cache"))
		}
	}
}

// BenchmarkHandlerHitMemory: a warm process, the render in memory.
func BenchmarkHandlerHitMemory(b *testing.B) { benchmarkHit(b, 64<<20) }

// BenchmarkHandlerHitStore: a cold process, the render fetched from S3
// (versitygw on loopback).
func BenchmarkHandlerHitStore(b *testing.B) { benchmarkHit(b, 0) }

// BenchmarkReferenceStatic is the floor the hit benchmarks are read
// against: a handler writing the same 20 KB from memory.
func BenchmarkReferenceStatic(b *testing.B) {
	body := svgOfSize(20000)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	})
	req := httptest.NewRequest(http.MethodGet, "/x", nil)
	b.ReportAllocs()
	b.SetBytes(20000)
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}
