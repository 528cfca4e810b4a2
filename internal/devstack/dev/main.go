// Command dev runs the whole service on this machine (`make dev`): the S3
// store on 127.0.0.1:9000, the local renderer on 127.0.0.1:8000 (unless
// KROKI_URL points at a Kroki), the render API on 127.0.0.1:9001 and the
// web UI on 127.0.0.1:9002. Ctrl-C stops everything.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/umlimages/umlimages/internal/devstack"
	"github.com/umlimages/umlimages/internal/diagram"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "dev:", err)
		os.Exit(1)
	}
}

func run() error {
	root, err := devstack.Root()
	if err != nil {
		return err
	}
	krokiURL := os.Getenv("KROKI_URL")
	ports := map[string]string{"S3 store": devstack.S3Addr, "render API": devstack.APIAddr, "web UI": devstack.UIAddr}
	if krokiURL == "" {
		ports["local renderer"] = devstack.KrokiAddr
	}
	if err := devstack.CheckPorts(ports); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	g := devstack.NewGroup(os.Stdout)
	defer g.Stop()

	if err := g.StartStore(ctx, root); err != nil {
		return err
	}
	if krokiURL == "" {
		if err := g.StartRenderer(); err != nil {
			return err
		}
		krokiURL = "http://" + devstack.KrokiAddr
	}
	bin := filepath.Join(root, "build", "dev", "render")
	build := exec.Command("go", "build", "-o", bin, "./functions/render")
	build.Dir = root
	build.Stdout, build.Stderr = g.Prefixed("build"), g.Prefixed("build")
	if err := build.Run(); err != nil {
		return fmt.Errorf("build the render API: %w", err)
	}
	if err := g.Start("api", append(devstack.Env(krokiURL), "LISTEN_ADDR="+devstack.APIAddr), bin); err != nil {
		return err
	}
	wait, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := devstack.WaitFor(wait, "the render API", devstack.APIAddr); err != nil {
		return err
	}
	if err := g.Serve("ui", devstack.UIAddr, ui(filepath.Join(root, "web"))); err != nil {
		return err
	}
	example := "http://" + devstack.APIAddr + "/graphviz/svg/" + diagram.Encode([]byte("digraph G { Hello -> World }"))
	fmt.Printf(`
UML Images is running:
  web UI        http://%s
  render API    http://%s   (Kroki-compatible; try: curl %s)
  renderer      %s
  S3 store      http://%s   (bucket %s, data in %s/)
Ctrl-C stops everything.

`, devstack.UIAddr, devstack.APIAddr, example, krokiURL, devstack.S3Addr, devstack.Bucket, devstack.DataDir)
	<-ctx.Done()
	fmt.Println("\nstopping")
	return nil
}

// ui serves web/ and tells the page where the API is.
func ui(dir string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /config.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(map[string]string{"apiBaseURL": "http://" + devstack.APIAddr})
	})
	mux.Handle("/", http.FileServer(http.Dir(dir)))
	return mux
}
