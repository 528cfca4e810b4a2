// Command bench measures the service against references taken in the same
// run (`make bench`): the cache-hit path against a bare net/http server,
// cache hits against rendering, a miss against a direct render, the render
// bootstrap's cold start against a hello-world bootstrap, bootstrap sizes,
// coalescing of identical misses, each engine family's warm render against
// graphviz's, and the handler's hit path in ns and allocations. It prints `name: value` lines and writes build/bench.json.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/umlimages/umlimages/internal/config"
	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/engine"
	"github.com/umlimages/umlimages/internal/obs"
	"github.com/umlimages/umlimages/internal/render"
	"github.com/umlimages/umlimages/internal/testsupport/binpath"
	"github.com/umlimages/umlimages/internal/testsupport/devstack"
)

type figures struct {
	mu     sync.Mutex
	order  []string
	values map[string]float64
}

func (f *figures) set(name string, v float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.values[name]; !ok {
		f.order = append(f.order, name)
	}
	f.values[name] = v
	fmt.Printf("%s: %s\n", name, strconv.FormatFloat(v, 'f', -1, 64))
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx := context.Background()
	root, err := binpath.Root()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	f := &figures{values: map[string]float64{}}
	g := devstack.NewGroup(io.Discard)
	defer g.Stop()

	s3Addr, krokiAddr, apiAddr, floorAddr := free(), free(), free(), free()
	if err := g.StartStore(ctx, s3Addr, tmp); err != nil {
		return err
	}
	self, err := devstack.BuildRenderer(root, os.Stderr)
	if err != nil {
		return err
	}
	local := engine.NewLocal(engine.Config{Timeout: 60 * time.Second, Self: self, Scripts: devstack.Scripts(root)})
	defer local.Close()
	if len(local.Missing) > 0 {
		return fmt.Errorf("engines missing (make engines): %v", local.Missing)
	}
	for _, e := range local.Engines {
		e.Version() // some ask their program once, at start: not during a measurement
	}
	var renderCalls atomic.Int64
	renderer := engine.NewServer(local.Engines, nil)
	if err := g.Serve("kroki", krokiAddr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			renderCalls.Add(1)
		}
		renderer.ServeHTTP(w, r)
	})); err != nil {
		return err
	}
	client := s3.New(s3.Options{Region: devstack.Region, BaseEndpoint: aws.String("http://" + s3Addr), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(devstack.AccessKey, devstack.SecretKey, "")})
	cfg, err := config.LoadRender(func(k string) string {
		return map[string]string{
			config.EnvKrokiURL: "http://" + krokiAddr, config.EnvCacheBucket: devstack.Bucket, config.EnvKrokiVersion: "bench",
			config.EnvEnabledTypes: strings.Join(renderer.Types(), ","), config.EnvMetricsNamespace: "Bench",
		}[k]
	})
	if err != nil {
		return err
	}
	api := render.New(cfg, client, &http.Client{}, obs.NewLogger(io.Discard, slog.LevelInfo))
	if err := g.Serve("api", apiAddr, api); err != nil {
		return err
	}

	// hit_rps_ratio: a cached 20 KB SVG through the API, against a bare
	// server writing the same bytes from memory.
	hitURL := "http://" + apiAddr + "/graphviz/svg/" + diagram.Encode([]byte(graph(36)))
	body, err := get(hitURL)
	if err != nil {
		return err
	}
	f.set("hit_body_bytes", float64(len(body)))
	if err := g.Serve("floor", floorAddr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	})); err != nil {
		return err
	}
	apiM := attack(hitURL, 5*time.Second)
	floorM := attack("http://"+floorAddr+"/x", 5*time.Second)
	f.set("hit_rps", round(apiM.Throughput))
	f.set("floor_rps", round(floorM.Throughput))
	f.set("hit_rps_ratio", round(apiM.Throughput/floorM.Throughput))
	f.set("hit_p50_ms", ms(apiM.Latencies.P50))
	f.set("hit_p99_ms", ms(apiM.Latencies.P99))
	f.set("floor_p50_ms", ms(floorM.Latencies.P50))
	f.set("floor_p99_ms", ms(floorM.Latencies.P99))

	// hit_vs_render_speedup: a render by the engine against the same
	// request as a cache hit.
	for _, c := range []struct {
		name, typ, src string
		n              int
	}{
		{"plantuml", "plantuml", "@startuml\nAlice -> Bob: hello\nBob --> Alice: hi\n@enduml", 10},
		{"graphviz", "graphviz", graph(20), 30},
	} {
		direct := sample(c.n, func(i int) error {
			_, err := post("http://"+krokiAddr+"/"+c.typ+"/svg", c.src)
			return err
		})
		url := "http://" + apiAddr + "/" + c.typ + "/svg/" + diagram.Encode([]byte(c.src))
		if _, err := get(url); err != nil {
			return err
		}
		hit := sample(300, func(int) error { _, err := get(url); return err })
		f.set("render_p50_ms_"+c.name, ms(direct))
		f.set("hit_p50_ms_"+c.name, ms(hit))
		f.set("hit_vs_render_speedup_"+c.name, round(float64(direct)/float64(hit)))
	}

	// <type>_vs_graphviz_p50_ratio: a warm render by each engine family
	// (PlantUML's JVMs, D2's Go child, the blockdiag family's Python, the
	// Node engines, the shared Chromium, TeX) of its canary diagram, against a
	// graphviz render of a small graph, all straight to the renderer (each
	// in its sandbox), interleaved.
	families := []string{"plantuml", "d2", "blockdiag", "nomnoml", "vegalite", "mermaid", "bpmn", "tikz"}
	times := map[string][]time.Duration{}
	for i := range 23 {
		for _, typ := range append([]string{"graphviz"}, families...) {
			t, _ := diagram.Lookup(typ)
			t0 := time.Now()
			if _, err := post("http://"+krokiAddr+"/"+typ+"/svg", string(t.CanarySource(fmt.Sprint("bench", i)))); err != nil {
				return fmt.Errorf("%s: %w", typ, err)
			}
			if i >= 3 { // the first renders start the JVMs and the browser
				times[typ] = append(times[typ], time.Since(t0))
			}
			if typ == "mermaid" || typ == "bpmn" {
				// The browser loads its next page after answering: let
				// it, so the next render does not share the CPUs with it.
				time.Sleep(time.Second)
			}
		}
	}
	f.set("graphviz_p50_ms", ms(median(times["graphviz"])))
	for _, typ := range families {
		f.set(typ+"_warm_p50_ms", ms(median(times[typ])))
		f.set(typ+"_vs_graphviz_p50_ratio", round(float64(median(times[typ]))/float64(median(times["graphviz"]))))
	}
	// The warm engines (JVMs, the browser) are not needed past here: stop
	// them, so they do not share the CPUs with the figures below.
	local.Close()

	// miss_overhead_ms: a miss through the API against the same render
	// straight to the renderer (fresh sources both ways, interleaved).
	var direct, miss []time.Duration
	for i := range 100 {
		src := fmt.Sprintf("digraph { a%d -> b%d }", i, i)
		t0 := time.Now()
		if _, err := post("http://"+krokiAddr+"/graphviz/svg", src); err != nil {
			return err
		}
		direct = append(direct, time.Since(t0))
		t0 = time.Now()
		if _, err := get("http://" + apiAddr + "/graphviz/svg/" + diagram.Encode([]byte(src+" "))); err != nil {
			return err
		}
		miss = append(miss, time.Since(t0))
	}
	f.set("miss_p50_ms", ms(median(miss)))
	f.set("direct_p50_ms", ms(median(direct)))
	f.set("miss_overhead_ms", ms(median(miss)-median(direct)))

	// coalesced_calls: the most renderer calls 100 concurrent identical
	// misses made, over 20 trials.
	worst := int64(0)
	for trial := range 20 {
		before := renderCalls.Load()
		url := "http://" + apiAddr + "/graphviz/svg/" + diagram.Encode([]byte(fmt.Sprintf("digraph { coalesced -> once%d }", trial)))
		var wg sync.WaitGroup
		for range 100 {
			wg.Go(func() { get(url) })
		}
		wg.Wait()
		worst = max(worst, renderCalls.Load()-before)
	}
	f.set("coalesced_calls", float64(worst))

	if err := bootstraps(f, root, tmp); err != nil {
		return err
	}
	if err := coldStart(f, root, tmp, krokiAddr, s3Addr); err != nil {
		return err
	}
	if err := goBench(f, root); err != nil {
		return err
	}
	out := map[string]float64{}
	for k, v := range f.values {
		out[k] = v
	}
	raw, _ := json.MarshalIndent(out, "", "  ")
	os.MkdirAll(filepath.Join(root, "build"), 0o755)
	return os.WriteFile(filepath.Join(root, "build", "bench.json"), raw, 0o644)
}

// graph is a dot source of n nodes in a chain with labels.
func graph(n int) string {
	var b strings.Builder
	b.WriteString("digraph G {\n  rankdir=LR;\n")
	for i := range n {
		fmt.Fprintf(&b, "  n%d [label=\"node %d\"];\n  n%d -> n%d;\n", i, i, i, i+1)
	}
	b.WriteString("}\n")
	return b.String()
}
