package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/umlimages/umlimages/internal/testsupport/devstack"
	"github.com/umlimages/umlimages/internal/testsupport/rie"
)

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
	fns := []struct{ name, pkg string }{{"render", "./functions/render"}, {"hello", "./cmd/hello"}}
	starts := map[string][]time.Duration{}
	for _, fn := range fns {
		if err := build(root, filepath.Join(tmp, "local", fn.name, "bootstrap"), fn.pkg, arch); err != nil {
			return err
		}
	}
	// Interleaved, so both see the same machine.
	for range 15 {
		for _, fn := range fns {
			t0 := time.Now()
			emu, err := rie.Start(filepath.Join(tmp, "local", fn.name, "bootstrap"), rie.Options{Env: devstack.Env("http://"+krokiAddr, s3Addr)})
			if err != nil {
				return err
			}
			_, err = emu.Invoke(context.Background(), []byte(event))
			starts[fn.name] = append(starts[fn.name], time.Since(t0))
			emu.Stop()
			if err != nil {
				return err
			}
		}
	}
	for name, s := range starts {
		medians[name] = median(s)
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
