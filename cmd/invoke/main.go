// Command invoke is `sam local invoke` without Docker (`make invoke`): it
// runs a function's bootstrap under aws-lambda-rie with the local stack's
// settings, invokes it once with an event file, prints the response and
// stops the emulator. When the local stack is not running, it starts the
// store and the local renderer for the duration.
//
//	go run ./cmd/invoke build/render/bootstrap events/render-get-svg.json
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/umlimages/umlimages/internal/config"
	"github.com/umlimages/umlimages/internal/testsupport/binpath"
	"github.com/umlimages/umlimages/internal/testsupport/devstack"
	"github.com/umlimages/umlimages/internal/testsupport/rie"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: invoke BOOTSTRAP EVENT.json")
		os.Exit(2)
	}
	root, err := binpath.Root()
	if err != nil {
		fmt.Fprintln(os.Stderr, "invoke:", err)
		os.Exit(1)
	}
	out, err := run(os.Args[1], os.Args[2], devstack.Default, os.Getenv("KROKI_URL"), filepath.Join(root, devstack.DataDir))
	if err != nil {
		fmt.Fprintln(os.Stderr, "invoke:", err)
		os.Exit(1)
	}
	fmt.Println(string(out))
}

// run invokes bootstrap with the event in eventFile, against the stack at
// addrs (started for the duration, over dataDir, where it is not running)
// or krokiURL.
// localSettings are each function's own settings on the local stack: the
// backup copies the store's bucket into the backup bucket; the failover
// keeps its state in the store and, with no hosted zone, only advises.
var localSettings = map[string][]string{
	"backup":   {config.EnvSourceBucket + "=" + devstack.Bucket, config.EnvBackupBucket + "=" + devstack.BackupBucket},
	"failover": {config.EnvStateBucket + "=" + devstack.Bucket},
}

func run(bootstrap, eventFile string, addrs devstack.Addrs, krokiURL, dataDir string) ([]byte, error) {
	event, err := os.ReadFile(eventFile)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	g := devstack.NewGroup(os.Stderr)
	defer g.Stop()
	if !devstack.Up(addrs.S3) {
		if err := g.StartStore(ctx, addrs.S3, dataDir); err != nil {
			return nil, err
		}
	}
	if krokiURL == "" {
		krokiURL = "http://" + addrs.Kroki
		if !devstack.Up(addrs.Kroki) {
			root, err := binpath.Root()
			if err != nil {
				return nil, err
			}
			renderer, err := devstack.BuildRenderer(root, g.Prefixed("build"))
			if err != nil {
				return nil, err
			}
			if _, err := g.StartRenderer(ctx, renderer, devstack.Scripts(root), addrs.Kroki); err != nil {
				return nil, err
			}
		}
	}
	env := append(devstack.Env(krokiURL, addrs.S3), localSettings[filepath.Base(filepath.Dir(bootstrap))]...)
	emu, err := rie.Start(bootstrap, rie.Options{Env: env, Logs: io.Writer(g.Prefixed("lambda"))})
	if err != nil {
		return nil, err
	}
	defer emu.Stop()
	return emu.Invoke(ctx, event)
}
