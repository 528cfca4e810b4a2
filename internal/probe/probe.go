// Package probe checks the service from the outside, the way a user meets
// it: the API's /health, a fresh canary render per engine through the
// public API (unique per run, so never a cached answer), one known-cached
// render, and the same canaries straight to Kroki. Checks run at once,
// each with its own timeout, and report as a result document and as EMF
// metric lines.
package probe

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/umlimages/umlimages/internal/config"
	"github.com/umlimages/umlimages/internal/diagram"
)

// Status is a verdict.
type Status string

// Verdicts, best first.
const (
	Pass Status = "pass"
	Warn Status = "warn"
	Fail Status = "fail"
)

// Target is one deployment to probe.
type Target struct {
	Name     string `json:"name"`            // primary, standby, local
	URL      string `json:"url"`             // the public base URL of the API
	KrokiURL string `json:"kroki,omitempty"` // Kroki itself, where reachable
}

// Check is one check's outcome.
type Check struct {
	Name      string  `json:"name"` // health, render, cached, kroki
	Engine    string  `json:"engine,omitempty"`
	Status    Status  `json:"status"`
	LatencyMs float64 `json:"latencyMs"`
	// Slow marks a passing check slower than the latency budget.
	Slow  bool   `json:"slow,omitempty"`
	Error string `json:"error,omitempty"`
}

// Result is the probe of one target.
type Result struct {
	Target     string    `json:"target"`
	URL        string    `json:"url"`
	Status     Status    `json:"status"`
	Reasons    []string  `json:"reasons,omitempty"` // why the verdict is not pass
	Started    time.Time `json:"started"`
	DurationMs float64   `json:"durationMs"`
	Checks     []Check   `json:"checks"`
}

// Options configure a Prober.
type Options struct {
	// Engines to probe; empty: every type the API lists as enabled that
	// has a canary.
	Engines []string
	// Timeout bounds each check.
	Timeout time.Duration
	// LatencyBudget: a passing check slower than this makes the verdict warn
	// (the p95 alert threshold of docs/operations.md is 2 s).
	LatencyBudget time.Duration
	// Header is sent with every request (the origin lock's secret).
	Header http.Header
	// Concurrency bounds the checks run at once (default 8): a probe of
	// every enabled type must not be the load that slows the service down.
	Concurrency int
}

// Prober probes targets.
type Prober struct {
	http *http.Client
	o    Options
	now  func() time.Time
}

// New returns a prober using hc.
func New(hc *http.Client, o Options) *Prober {
	if o.Timeout == 0 {
		o.Timeout = config.DefaultProbeTimeout
	}
	if o.LatencyBudget == 0 {
		o.LatencyBudget = config.DefaultLatencyBudget
	}
	if o.Concurrency == 0 {
		o.Concurrency = 8
	}
	return &Prober{http: hc, o: o, now: time.Now}
}

// Probe runs the checks against t, Concurrency at a time, and judges the
// whole: fail when the API is down or no render succeeds, warn when some
// check fails or is slower than the budget, pass otherwise. Each check is
// bounded by the checks' timeout.
func (p *Prober) Probe(ctx context.Context, t Target) Result {
	start := p.now()
	res := Result{Target: t.Name, URL: t.URL, Started: start.UTC()}
	base := strings.TrimRight(t.URL, "/")
	engines, discoverErr := p.engines(ctx, base)
	nonce := newNonce()

	type job struct {
		check Check
		run   func(context.Context) error
	}
	jobs := []job{{Check{Name: "health"}, func(ctx context.Context) error { return p.health(ctx, base) }}}
	if discoverErr != nil {
		jobs = append(jobs, job{Check{Name: "types"}, func(context.Context) error { return discoverErr }})
	}
	for _, c := range engines {
		path := canaryPath(c, nonce)
		jobs = append(jobs, job{Check{Name: "render", Engine: c.Name}, func(ctx context.Context) error {
			_, err := p.get(ctx, base+path, config.ProbeHeader, "fresh")
			return err
		}})
		if t.KrokiURL != "" {
			kroki := strings.TrimRight(t.KrokiURL, "/")
			jobs = append(jobs, job{Check{Name: "kroki", Engine: c.Name}, func(ctx context.Context) error {
				_, err := p.get(ctx, kroki+path)
				return err
			}})
		}
	}
	if len(engines) > 0 {
		c := engines[0]
		cached := base + canaryPath(c, "cached canary")
		jobs = append(jobs, job{Check{Name: "cached", Engine: c.Name}, func(ctx context.Context) error { return p.cached(ctx, cached) }})
	}

	res.Checks = make([]Check, len(jobs))
	var wg sync.WaitGroup
	slots := make(chan struct{}, p.o.Concurrency)
	for i, j := range jobs {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			cctx, cancel := context.WithTimeout(ctx, p.o.Timeout)
			defer cancel()
			t0 := p.now()
			err := j.run(cctx)
			c := j.check
			c.LatencyMs = float64(p.now().Sub(t0).Microseconds()) / 1000
			c.Status = Pass
			if err != nil {
				c.Status, c.Error = Fail, err.Error()
				if cctx.Err() != nil {
					c.Error = fmt.Sprintf("timed out after %s", p.o.Timeout)
				}
			}
			res.Checks[i] = c
		})
	}
	wg.Wait()
	res.Status, res.Reasons = p.judge(res.Checks)
	res.DurationMs = float64(p.now().Sub(start).Microseconds()) / 1000
	return res
}

// judge gives the verdict and, unless it is pass, why: failed checks, and
// passing checks slower than the latency budget (marked Slow).
func (p *Prober) judge(checks []Check) (Status, []string) {
	var renders, rendersOK int
	var reasons []string
	status := Pass
	budget := float64(p.o.LatencyBudget.Milliseconds())
	for i, c := range checks {
		what := strings.TrimSpace(c.Name + " " + c.Engine)
		if c.Name == "render" {
			renders++
			if c.Status == Pass {
				rendersOK++
			}
		}
		if c.Name == "health" && c.Status == Fail && strings.HasPrefix(c.Error, "unreachable") {
			return Fail, []string{what + ": " + c.Error}
		}
		switch {
		case c.Status == Fail:
			status = Warn
			reasons = append(reasons, fmt.Sprintf("%s failed: %s", what, c.Error))
		case c.LatencyMs > budget:
			status = Warn
			checks[i].Slow = true
			reasons = append(reasons, fmt.Sprintf("%s took %.0f ms, over the %s latency budget", what, c.LatencyMs, p.o.LatencyBudget))
		}
	}
	if renders == 0 || rendersOK == 0 {
		return Fail, append(reasons, "no canary rendered")
	}
	return status, reasons
}

// engines are the canaries to render: the configured types, or those the
// API lists as enabled.
func (p *Prober) engines(ctx context.Context, base string) ([]diagram.Type, error) {
	names := p.o.Engines
	var err error
	if len(names) == 0 {
		cctx, cancel := context.WithTimeout(ctx, p.o.Timeout)
		defer cancel()
		names, err = p.enabledTypes(cctx, base)
	}
	var out []diagram.Type
	for _, n := range names {
		if t, ok := diagram.Lookup(n); ok {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

// canaryPath is the GET path of t's canary with nonce in it.
func canaryPath(t diagram.Type, nonce string) string {
	return "/" + t.Name + "/" + string(t.Preferred) + "/" + diagram.Encode(t.CanarySource(nonce))
}

func (p *Prober) enabledTypes(ctx context.Context, base string) ([]string, error) {
	body, err := p.get(ctx, base+"/v1/types")
	if err != nil {
		return nil, fmt.Errorf("list types: %w", err)
	}
	var out struct {
		Types []struct {
			Name    string `json:"name"`
			Enabled bool   `json:"enabled"`
		} `json:"types"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("list types: %w", err)
	}
	var names []string
	for _, t := range out.Types {
		if t.Enabled {
			names = append(names, t.Name)
		}
	}
	return names, nil
}

// request is a GET of url with the prober's headers.
func (p *Prober) request(ctx context.Context, url string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	for k, vs := range p.o.Header {
		req.Header[k] = vs
	}
	return req, nil
}

// health checks the API's own verdict: unreachable or "fail" fails.
func (p *Prober) health(ctx context.Context, base string) error {
	req, err := p.request(ctx, base+"/health")
	if err != nil {
		return err
	}
	resp, err := p.http.Do(req)
	if err != nil {
		return fmt.Errorf("unreachable: %w", err)
	}
	defer resp.Body.Close()
	var h struct {
		Status string `json:"status"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&h); err != nil {
		return fmt.Errorf("answered %d without a health document", resp.StatusCode)
	}
	if h.Status != string(Pass) {
		return fmt.Errorf("reports %s (HTTP %d)", h.Status, resp.StatusCode)
	}
	return nil
}

// cached checks the cache path: the fixed canary must be a hit (a first
// request may store it; the second must then hit).
func (p *Prober) cached(ctx context.Context, url string) error {
	for range 2 {
		req, err := p.request(ctx, url)
		if err != nil {
			return err
		}
		resp, err := p.http.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		if resp.Header.Get("X-Cache") == "hit" {
			return nil
		}
	}
	return errors.New("a repeated render was not served from the cache")
}

// get fetches url, with headers (name, value, …); a non-200 is an error
// carrying the response's message.
func (p *Prober) get(ctx context.Context, url string, headers ...string) ([]byte, error) {
	req, err := p.request(ctx, url)
	if err != nil {
		return nil, err
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	req.Header.Set("Accept", "*/*")
	resp, err := p.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		msg := resp.Header.Get("X-Diagram-Error")
		if msg == "" {
			msg = strings.TrimSpace(string(body[:min(len(body), 200)]))
		}
		return nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, msg)
	}
	return body, nil
}

func newNonce() string {
	var b [8]byte
	rand.Read(b[:])
	return "probe " + hex.EncodeToString(b[:])
}
