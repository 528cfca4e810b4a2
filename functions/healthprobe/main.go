// Command healthprobe checks the service from the outside. In Lambda the
// EventBridge schedule runs it every minute with the targets in the rule's
// input; elsewhere it does the replaced service's `health-check.sh --comprehensive`:
//
//	healthprobe --url BASE [--kroki URL] [--json]
//
// It prints a table (or the result document with --json) and exits 0 for
// pass, 1 for warn, 2 for fail.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/umlimages/umlimages/internal/config"
	"github.com/umlimages/umlimages/internal/obs"
	"github.com/umlimages/umlimages/internal/probe"
)

func main() {
	cfg := config.Must("healthprobe", config.LoadProbe)
	hc := obs.TraceHTTP(&http.Client{})
	if cfg.InLambda {
		prober := probe.New(hc, probe.Options{Engines: cfg.Engines, Timeout: cfg.Timeout, LatencyBudget: cfg.LatencyBudget,
			Header: config.OriginHeaders(cfg.OriginSecret)})
		rep := probe.NewReporter(obs.NewLogger(os.Stdout, cfg.LogLevel), cfg.MetricsNamespace)
		lambda.Start(func(ctx context.Context, ev probe.Event) (probe.Summary, error) {
			return probe.Handle(ctx, prober, rep, ev)
		})
		return
	}
	os.Exit(command(os.Args[1:], os.Stdout, os.Stderr, hc, cfg))
}

// command is the command-line check; it returns the exit status.
func command(args []string, stdout, stderr io.Writer, hc *http.Client, cfg config.Probe) int {
	fs := flag.NewFlagSet("healthprobe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "", "base URL of the render API (required)")
	kroki := fs.String("kroki", "", "Kroki's URL, to check it directly too")
	asJSON := fs.Bool("json", false, "print the result document as JSON")
	engines := fs.String("engines", strings.Join(cfg.Engines, ","), "types to probe (default: every type the API enables)")
	timeout := fs.Duration("timeout", cfg.Timeout, "timeout of each check")
	switch err := fs.Parse(args); {
	case errors.Is(err, flag.ErrHelp):
		return 0 // Parse printed the usage
	case err != nil:
		return 2 // and here too, with the error
	case *url == "":
		fmt.Fprintln(stderr, "healthprobe: -url is required")
		fs.Usage()
		return 2
	}
	o := probe.Options{Timeout: *timeout, LatencyBudget: cfg.LatencyBudget, Header: config.OriginHeaders(cfg.OriginSecret)}
	if *engines != "" {
		o.Engines = strings.Split(*engines, ",")
	}
	name := *url
	if u, err := neturl.Parse(*url); err == nil && u.Host != "" {
		name = u.Host
	}
	r := probe.New(hc, o).Probe(context.Background(), probe.Target{Name: name, URL: *url, KrokiURL: *kroki})
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(r)
	} else {
		probe.WriteTable(stdout, r)
	}
	return probe.ExitCode(r.Status)
}
