// Command render is the render API: a Kroki-compatible HTTP API with a
// content-addressed S3 cache. Inside AWS Lambda it serves API Gateway REST
// proxy events; anywhere else it serves HTTP on LISTEN_ADDR.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/umlimages/umlimages/internal/config"
	"github.com/umlimages/umlimages/internal/obs"
	"github.com/umlimages/umlimages/internal/render"
)

func main() {
	cfg, err := config.LoadRender(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "render:", err)
		os.Exit(2)
	}
	log := obs.NewLogger(os.Stdout, cfg.LogLevel)
	h, err := newHandler(context.Background(), cfg, log)
	if err != nil {
		log.Error("start-up failed", "error", err)
		os.Exit(1)
	}
	if cfg.InLambda {
		lambda.Start(httpadapter.New(h).ProxyWithContext)
		return
	}
	if err := serve(cfg.ListenAddr, h, log); err != nil {
		log.Error("server stopped", "error", err)
		os.Exit(1)
	}
}

// newHandler builds the render API's clients and handler from cfg.
func newHandler(ctx context.Context, cfg config.Render, log *slog.Logger) (http.Handler, error) {
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	obs.TraceAWS(&awsCfg)
	s3c := s3.NewFromConfig(awsCfg, func(o *s3.Options) { o.UsePathStyle = cfg.S3ForcePathStyle })
	hc := obs.TraceHTTP(&http.Client{Transport: &http.Transport{
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
	}})
	return render.New(cfg, s3c, hc, log), nil
}

func serve(addr string, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	log.Info("render API listening", "addr", "http://"+addr)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
