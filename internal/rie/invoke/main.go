// Command invoke runs a Lambda bootstrap under aws-lambda-rie, invokes it
// once with an event file, prints the response and stops the emulator:
// `sam local invoke` without Docker. The function's environment is this
// process's.
//
//	go run ./internal/rie/invoke build/render/bootstrap events/render-get-svg.json
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/umlimages/umlimages/internal/rie"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: invoke BOOTSTRAP EVENT.json")
		os.Exit(2)
	}
	event, err := os.ReadFile(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "invoke:", err)
		os.Exit(2)
	}
	emu, err := rie.Start(os.Args[1], rie.Options{Logs: os.Stderr})
	if err != nil {
		fmt.Fprintln(os.Stderr, "invoke:", err)
		os.Exit(1)
	}
	defer emu.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := emu.Invoke(ctx, event)
	if err != nil {
		fmt.Fprintln(os.Stderr, "invoke:", err)
		emu.Stop()
		os.Exit(1)
	}
	fmt.Println(string(out))
}
