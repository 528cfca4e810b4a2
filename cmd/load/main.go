// Command load drives a realistic mix of traffic at a deployed stack or at
// `make dev` (the replaced service's `k6 run tests/performance/load-test.js` and
// `stress-test.js`, with vegeta): cached GETs, fresh renders and POSTs at a
// constant rate, then checks the alert levels of docs/operations.md, p95 < 2 s and an
// error rate under 5 %. Exit status 1 when a threshold is crossed.
//
//	go run ./cmd/load --url https://diagrams.example.com --rate 50 --duration 1m
//	go run ./cmd/load --url http://127.0.0.1:9001 --stress   # ramps up to find the knee
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/umlimages/umlimages/internal/diagram"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:9001", "base URL of the render API")
	rate := flag.Int("rate", 20, "requests per second")
	duration := flag.Duration("duration", 30*time.Second, "how long (per step with --stress)")
	stress := flag.Bool("stress", false, "double the rate each step until a threshold breaks (up to 8 steps)")
	types := flag.String("types", "graphviz,plantuml", "diagram types in the mix")
	flag.Parse()
	base := strings.TrimRight(*url, "/")
	mix := mixTargeter(base, strings.Split(*types, ","))
	if !*stress {
		if !step(mix, *rate, *duration) {
			os.Exit(1)
		}
		return
	}
	for r := *rate; r <= *rate<<7; r *= 2 {
		if !step(mix, r, *duration) {
			fmt.Printf("knee: thresholds break at %d requests/s\n", r)
			return
		}
	}
}

// mixTargeter: 70 % GETs of a few cached diagrams, 20 % fresh GETs (never
// seen: renders), 10 % POSTs of fresh sources.
func mixTargeter(base string, types []string) vegeta.Targeter {
	sources := map[string]func(string) string{
		"graphviz": func(s string) string { return "digraph G { a -> b" + s + " }" },
		"plantuml": func(s string) string { return "@startuml\nAlice -> Bob: hello" + s + "\n@enduml" },
		"d2":       func(s string) string { return "a -> b: x" + s },
		"mermaid":  func(s string) string { return "graph TD\n  A --> B" + s },
	}
	var n atomic.Int64
	run := fmt.Sprint(time.Now().UnixNano())
	return func(t *vegeta.Target) error {
		i := n.Add(1)
		typ := types[i%int64(len(types))]
		src := sources[typ]
		if src == nil {
			src = sources["graphviz"]
		}
		switch p := rand.IntN(100); {
		case p < 70:
			t.Method, t.URL = http.MethodGet, base+"/"+typ+"/svg/"+diagram.Encode([]byte(src(fmt.Sprint(i%5))))
		case p < 90:
			t.Method, t.URL = http.MethodGet, base+"/"+typ+"/svg/"+diagram.Encode([]byte(src(run+fmt.Sprint(i))))
		default:
			t.Method, t.URL = http.MethodPost, base+"/"+typ+"/svg"
			t.Body = []byte(src(run + "p" + fmt.Sprint(i)))
			t.Header = http.Header{"Content-Type": {"text/plain"}}
		}
		return nil
	}
}

// step runs one rate and reports; false when a threshold is crossed.
func step(tr vegeta.Targeter, rate int, d time.Duration) bool {
	a := vegeta.NewAttacker(vegeta.Timeout(30 * time.Second))
	var m vegeta.Metrics
	for res := range a.Attack(tr, vegeta.Rate{Freq: rate, Per: time.Second}, d, "load") {
		m.Add(res)
	}
	m.Close()
	errRate := 1 - m.Success
	ok := m.Latencies.P95 < 2*time.Second && errRate < 0.05
	verdict := "ok"
	if !ok {
		verdict = "THRESHOLD CROSSED"
	}
	fmt.Printf("rate %d/s: %d requests, p50 %s, p95 %s, p99 %s, errors %.2f %% (%v): %s\n",
		rate, m.Requests, m.Latencies.P50.Round(time.Millisecond), m.Latencies.P95.Round(time.Millisecond),
		m.Latencies.P99.Round(time.Millisecond), errRate*100, m.StatusCodes, verdict)
	return ok
}
