// Command bench measures the service against references taken in the same
// run (`make bench`): the cache-hit path against a bare net/http server,
// cache hits against rendering, a miss against a direct render, the render
// bootstrap's cold start against a hello-world bootstrap, bootstrap sizes,
// coalescing of identical misses, and the handler's hit path in ns and
// allocations. It prints `name: value` lines and writes build/bench.json.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/umlimages/umlimages/internal/binpath"
	"github.com/umlimages/umlimages/internal/config"
	"github.com/umlimages/umlimages/internal/devstack"
	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/engine"
	"github.com/umlimages/umlimages/internal/obs"
	"github.com/umlimages/umlimages/internal/render"
	"github.com/umlimages/umlimages/internal/rie"
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
	local := engine.NewLocal(engine.Config{Timeout: 60 * time.Second, Self: self})
	defer local.Close()
	if len(local.Missing) > 0 {
		return fmt.Errorf("engines missing (make engines): %v", local.Missing)
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

	// plantuml_vs_graphviz_p50_ratio: a warm PlantUML render of a small
	// sequence diagram against a graphviz render of a small graph, both
	// straight to the renderer (each in its sandbox), interleaved.
	seq, small := "@startuml\nAlice -> Bob: hello\nBob --> Alice: hi\n@enduml", "digraph { a -> b; b -> c }"
	var pu, gv []time.Duration
	for i := range 43 {
		t0 := time.Now()
		if _, err := post("http://"+krokiAddr+"/plantuml/svg", seq); err != nil {
			return err
		}
		t1 := time.Now()
		if _, err := post("http://"+krokiAddr+"/graphviz/svg", small); err != nil {
			return err
		}
		if i >= 3 { // the first renders start the JVM
			pu, gv = append(pu, t1.Sub(t0)), append(gv, time.Since(t1))
		}
	}
	f.set("plantuml_warm_p50_ms", ms(median(pu)))
	f.set("graphviz_p50_ms", ms(median(gv)))
	f.set("plantuml_vs_graphviz_p50_ratio", round(float64(median(pu))/float64(median(gv))))

	// miss_overhead_ms: a miss through the API against the same render
	// straight to the renderer (fresh sources both ways, interleaved).
	var direct, miss []time.Duration
	for i := range 40 {
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

// bootstraps builds every function for Lambda and reports its size and
// how many modules it links.
func bootstraps(f *figures, root, tmp string) error {
	fns, _ := filepath.Glob(filepath.Join(root, "functions", "*", "main.go"))
	for _, m := range fns {
		fn := filepath.Base(filepath.Dir(m))
		out := filepath.Join(tmp, "lambda", fn, "bootstrap")
		if err := build(root, out, "./functions/"+fn, "arm64"); err != nil {
			return err
		}
		st, err := os.Stat(out)
		if err != nil {
			return err
		}
		f.set("bootstrap_bytes_"+fn, float64(st.Size()))
		info, err := exec.Command("go", "version", "-m", out).Output()
		if err != nil {
			return err
		}
		deps := 0
		for _, l := range strings.Split(string(info), "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), "dep") {
				deps++
			}
		}
		f.set("bootstrap_modules_"+fn, float64(deps))
	}
	return nil
}

func build(root, out, pkg, arch string) error {
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build %s: %v\n%s", pkg, err, b)
	}
	return nil
}

// coldStart: process start to first response under aws-lambda-rie, median
// of 10, for the render bootstrap and a hello-world one built the same way.
func coldStart(f *figures, root, tmp, krokiAddr, s3Addr string) error {
	arch := runtimeArch()
	medians := map[string]time.Duration{}
	event := `{"resource":"/{proxy+}","path":"/v1/types","httpMethod":"GET","headers":{"Accept":"application/json"},"requestContext":{"requestId":"bench","stage":"api"}}`
	for _, fn := range []struct{ name, pkg string }{{"render", "./functions/render"}, {"hello", "./internal/perf/hello"}} {
		out := filepath.Join(tmp, "local", fn.name, "bootstrap")
		if err := build(root, out, fn.pkg, arch); err != nil {
			return err
		}
		var starts []time.Duration
		for range 10 {
			t0 := time.Now()
			emu, err := rie.Start(out, rie.Options{Env: devstack.Env("http://"+krokiAddr, s3Addr)})
			if err != nil {
				return err
			}
			_, err = emu.Invoke(context.Background(), []byte(event))
			starts = append(starts, time.Since(t0))
			emu.Stop()
			if err != nil {
				return err
			}
		}
		medians[fn.name] = median(starts)
	}
	f.set("cold_start_ms_render", ms(medians["render"]))
	f.set("cold_start_ms_hello", ms(medians["hello"]))
	f.set("cold_start_ratio", round(float64(medians["render"])/float64(medians["hello"])))
	return nil
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+)-\d+\s+\d+\s+([\d.]+) ns/op.*?\s(\d+) allocs/op`)

// goBench runs the handler's hit-path benchmark and its reference.
func goBench(f *figures, root string) error {
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", "^(BenchmarkHandlerHitMemory|BenchmarkReferenceStatic)$", "-benchmem", "-count", "1", "./internal/render")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("go test -bench: %v\n%s", err, out)
	}
	got := map[string][2]float64{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if m := benchLine.FindStringSubmatch(sc.Text()); m != nil {
			ns, _ := strconv.ParseFloat(m[2], 64)
			allocs, _ := strconv.ParseFloat(m[3], 64)
			got[m[1]] = [2]float64{ns, allocs}
		}
	}
	hit, ref := got["BenchmarkHandlerHitMemory"], got["BenchmarkReferenceStatic"]
	f.set("handler_hit_ns_op", hit[0])
	f.set("handler_hit_allocs_op", hit[1])
	f.set("reference_static_ns_op", ref[0])
	return nil
}

func attack(url string, d time.Duration) vegeta.Metrics {
	targeter := vegeta.NewStaticTargeter(vegeta.Target{Method: http.MethodGet, URL: url})
	a := vegeta.NewAttacker(vegeta.Workers(8), vegeta.MaxWorkers(8), vegeta.KeepAlive(true))
	var m vegeta.Metrics
	for res := range a.Attack(targeter, vegeta.Rate{Freq: 0}, d, url) {
		m.Add(res)
	}
	m.Close()
	return m
}

func sample(n int, f func(int) error) time.Duration {
	var ds []time.Duration
	for i := range n {
		t0 := time.Now()
		if err := f(i); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
		}
		ds = append(ds, time.Since(t0))
	}
	return median(ds)
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

var httpClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}}

func get(url string) ([]byte, error) {
	resp, err := httpClient.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %d %s", url[:min(len(url), 60)], resp.StatusCode, b)
	}
	return b, err
}

func post(url, body string) ([]byte, error) {
	resp, err := httpClient.Post(url, "text/plain", strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("POST %s: %d %s", url, resp.StatusCode, b)
	}
	return b, err
}

func free() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func ms(d time.Duration) float64 { return round(float64(d.Microseconds()) / 1000) }

func round(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }

func runtimeArch() string {
	out, err := exec.Command("go", "env", "GOARCH").Output()
	if err != nil {
		return "amd64"
	}
	return strings.TrimSpace(string(out))
}
