// Command render is the render API: a Kroki-compatible HTTP API with a
// content-addressed S3 cache. Inside AWS Lambda it serves API Gateway REST
// proxy events; anywhere else it serves HTTP on LISTEN_ADDR.
package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/umlimages/umlimages/internal/config"
	"github.com/umlimages/umlimages/internal/httpserver"
	"github.com/umlimages/umlimages/internal/obs"
	"github.com/umlimages/umlimages/internal/render"
)

func main() {
	cfg := config.Must("render", config.LoadRender)
	log := obs.NewLogger(os.Stdout, cfg.LogLevel)
	h := newHandler(context.Background(), cfg, log)
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
func newHandler(ctx context.Context, cfg config.Render, log *slog.Logger) http.Handler {
	awsCfg := obs.MustAWSConfig(ctx, "render")
	s3c := s3.NewFromConfig(awsCfg, func(o *s3.Options) { o.UsePathStyle = cfg.S3ForcePathStyle })
	hc := obs.TraceHTTP(&http.Client{Transport: &http.Transport{
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
	}})
	return render.New(cfg, s3c, hc, log)
}

func serve(addr string, h http.Handler, log *slog.Logger) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	log.Info("render API listening", "addr", "http://"+l.Addr().String())
	return httpserver.Serve(&http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}, l)
}
