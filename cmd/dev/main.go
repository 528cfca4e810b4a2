// Command dev runs the whole service on this machine (`make dev`): the S3
// store on 127.0.0.1:9000, the local renderer on 127.0.0.1:8000 (unless
// KROKI_URL points at a Kroki), the render API on 127.0.0.1:9001 and the
// web UI on 127.0.0.1:9002; DEV_PORTS moves them (api=9101,ui=9102,...).
// Ctrl-C stops everything.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/umlimages/umlimages/internal/config"
	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/testsupport/binpath"
	"github.com/umlimages/umlimages/internal/testsupport/devstack"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	addrs, err := devstack.ParsePorts(os.Getenv("DEV_PORTS"))
	if err == nil {
		err = run(ctx, os.Stdout, addrs, os.Getenv("KROKI_URL"), "")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "dev:", err)
		os.Exit(1)
	}
}

// run starts the stack, announces it on out once every part answers, and
// stops it when ctx ends. dataDir empty: .data/ in the repository.
func run(ctx context.Context, out io.Writer, addrs devstack.Addrs, krokiURL, dataDir string) error {
	root, err := binpath.Root()
	if err != nil {
		return err
	}
	if dataDir == "" {
		dataDir = filepath.Join(root, devstack.DataDir)
	}
	ports := map[string]string{"S3 store": addrs.S3, "render API": addrs.API, "web UI": addrs.UI}
	if krokiURL == "" {
		ports["local renderer"] = addrs.Kroki
	}
	if err := devstack.CheckPorts(ports); err != nil {
		return err
	}
	g := devstack.NewGroup(out)
	if f, ok := out.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			g.Human = true // a terminal: short lines; JSON stays for files and pipes
		}
	}
	defer g.Stop()

	if err := g.StartStore(ctx, addrs.S3, dataDir); err != nil {
		return err
	}
	env := []string{"LISTEN_ADDR=" + addrs.API, "PUBLIC_BASE_URL=http://" + addrs.API}
	if krokiURL == "" {
		renderer, err := devstack.BuildRenderer(root, g.Prefixed("build"))
		if err != nil {
			return err
		}
		types, err := g.StartRenderer(ctx, renderer, devstack.Scripts(root), addrs.Kroki)
		if err != nil {
			return err
		}
		krokiURL = "http://" + addrs.Kroki
		env = append(env, "ENABLED_TYPES="+strings.Join(types, ","))
	}
	bin := filepath.Join(root, "build", "dev", "render")
	build := exec.Command("go", "build", "-o", bin, "./functions/render")
	build.Dir = root
	build.Stdout, build.Stderr = g.Prefixed("build"), g.Prefixed("build")
	if err := build.Run(); err != nil {
		return fmt.Errorf("build the render API: %w", err)
	}
	if err := g.Supervise("api", append(devstack.Env(krokiURL, addrs.S3), env...), bin); err != nil {
		return err
	}
	wait, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := devstack.WaitFor(wait, "the render API", addrs.API); err != nil {
		return err
	}
	web := filepath.Join(root, "web", "dist")
	if _, err := os.Stat(filepath.Join(web, "index.html")); err != nil {
		return fmt.Errorf("the editor is not built: run `make web` (%w)", err)
	}
	if err := g.Serve("ui", addrs.UI, ui(web, "http://"+addrs.API)); err != nil {
		return err
	}
	example := "http://" + addrs.API + "/graphviz/svg/" + diagram.Encode([]byte("digraph G { Hello -> World }"))
	fmt.Fprintf(out, `
UML Images is running:
  web UI        http://%s   (the API is on this origin too, as behind CloudFront)
  render API    http://%s   (Kroki-compatible; try: curl %s)
  renderer      %s
  S3 store      http://%s   (bucket %s, data in %s)
Ctrl-C stops everything.

`, addrs.UI, addrs.API, example, krokiURL, addrs.S3, devstack.Bucket, dataDir)
	<-ctx.Done()
	fmt.Fprintln(out, "stopping")
	return nil
}

// ui serves the built editor (web/dist) the way CloudFront does: the UI's
// paths from the files with the CDN's CSP, every other path from the render
// API on the same origin.
func ui(dir, apiBaseURL string) http.Handler {
	target, _ := url.Parse(apiBaseURL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	files := http.FileServer(http.Dir(dir))
	mux := http.NewServeMux()
	page := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", config.UIContentSecurityPolicy)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	}
	mux.HandleFunc("GET /{$}", page)
	mux.HandleFunc("GET /index.html", page)
	mux.HandleFunc("GET /assets/", page)
	mux.HandleFunc("GET /config.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(map[string]string{"apiBaseURL": ""})
	})
	mux.Handle("/", proxy)
	return mux
}
