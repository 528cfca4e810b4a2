// Command renderer is the local Kroki-compatible renderer: Kroki's HTTP API
// over the engines installed on this machine, every engine process in the
// OS sandbox (package sandbox). `make dev` runs it on 127.0.0.1:8000 and
// restarts it when it dies.
//
//	renderer [--listen 127.0.0.1:8000] [--timeout 20s] [--scripts internal/engine/_js]
//
// LOCAL_ENGINES_UNSANDBOXED=1 runs engines without the sandbox where it
// cannot be built; it is logged at every start.
package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/umlimages/umlimages/internal/engine"
	"github.com/umlimages/umlimages/internal/httpserver"
)

func main() {
	engine.RunChildIfAsked()
	if err := run(os.Args[1:], os.Getenv("LOCAL_ENGINES_UNSANDBOXED") == "1"); err != nil {
		fmt.Fprintln(os.Stderr, "renderer:", err)
		os.Exit(1)
	}
}

func run(args []string, unsandboxed bool) error {
	fs := flag.NewFlagSet("renderer", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8000", "address to serve Kroki's API on")
	timeout := fs.Duration("timeout", 20*time.Second, "longest one render may take")
	pool := fs.Int("plantuml-jvms", 2, "warm PlantUML JVMs per output mode")
	scripts := fs.String("scripts", "internal/engine/_js", "the Node and browser engines' folder, after npm ci (make engines)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if *scripts, err = filepath.Abs(*scripts); err != nil {
		return err
	}
	local := engine.NewLocal(engine.Config{Timeout: *timeout, Self: self, Unsandboxed: unsandboxed, PlantUMLPool: *pool, Scripts: *scripts, Log: log})
	defer local.Close()
	if !local.Sandboxed && unsandboxed {
		log.Warn("engines run WITHOUT the OS sandbox (LOCAL_ENGINES_UNSANDBOXED=1): a diagram can read this machine's files and reach its network")
	}
	for _, m := range local.Missing {
		log.Warn("engine unavailable", "why", m)
	}
	srv := engine.NewServer(local.Engines, log)
	if len(srv.Types()) == 0 {
		return errors.New("no engine can run here")
	}
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	log.Info("renderer listening", "addr", l.Addr().String(), "engines", strings.Join(srv.Types(), ","), "sandboxed", local.Sandboxed)
	return httpserver.Serve(&http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}, l)
}
