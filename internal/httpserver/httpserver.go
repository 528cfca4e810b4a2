// Package httpserver runs an HTTP server outside Lambda (the render API's
// local mode, the local renderer) until the process is told to stop.
package httpserver

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// shutdownGrace is how long requests in flight get to finish on a stop.
const shutdownGrace = 5 * time.Second

// Serve serves srv on l until SIGINT or SIGTERM, then shuts it down,
// letting requests in flight finish.
func Serve(srv *http.Server, l net.Listener) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		srv.Shutdown(shut)
	}()
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
