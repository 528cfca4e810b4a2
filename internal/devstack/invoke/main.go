// Command invoke is `sam local invoke` without Docker (`make invoke`): it
// runs a function's bootstrap under aws-lambda-rie with the local stack's
// settings, invokes it once with an event file, prints the response and
// stops the emulator. When the local stack is not running, it starts the
// store and the local renderer for the duration.
//
//	go run ./internal/devstack/invoke build/render/bootstrap events/render-get-svg.json
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/umlimages/umlimages/internal/devstack"
	"github.com/umlimages/umlimages/internal/rie"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: invoke BOOTSTRAP EVENT.json")
		os.Exit(2)
	}
	out, err := run(os.Args[1], os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "invoke:", err)
		os.Exit(1)
	}
	fmt.Println(string(out))
}

func run(bootstrap, eventFile string) ([]byte, error) {
	event, err := os.ReadFile(eventFile)
	if err != nil {
		return nil, err
	}
	root, err := devstack.Root()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	g := devstack.NewGroup(os.Stderr)
	defer g.Stop()
	if !devstack.Up(devstack.S3Addr) {
		if err := g.StartStore(ctx, root); err != nil {
			return nil, err
		}
	}
	krokiURL := os.Getenv("KROKI_URL")
	if krokiURL == "" {
		krokiURL = "http://" + devstack.KrokiAddr
		if !devstack.Up(devstack.KrokiAddr) {
			if err := g.StartRenderer(); err != nil {
				return nil, err
			}
		}
	}
	emu, err := rie.Start(bootstrap, rie.Options{Env: devstack.Env(krokiURL), Logs: io.Writer(g.Prefixed("lambda"))})
	if err != nil {
		return nil, err
	}
	defer emu.Stop()
	return emu.Invoke(ctx, event)
}
