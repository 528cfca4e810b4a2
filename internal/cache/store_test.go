package cache_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/umlimages/umlimages/internal/cache"
	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/testsupport/s3test"
)

func newStore(t *testing.T) (*cache.Store, *s3test.Server, *s3.Client) {
	t.Helper()
	srv := s3test.Start(t)
	client := srv.Client(t)
	return cache.New(client, srv.Bucket(t, "cache")), srv, client
}

func TestCreateThenGet(t *testing.T) {
	store, _, client := newStore(t)
	ctx := context.Background()
	key := "renders/abc.svg"
	want, wantType := []byte("<svg/>"), "image/svg+xml"
	if err := store.Create(ctx, key, want, wantType, map[string]string{"type": "graphviz"}); err != nil {
		t.Fatalf("Create: %v", err)
	}
	got, gotType, err := store.Get(ctx, key)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if !bytes.Equal(got, want) || gotType != wantType {
		t.Errorf("got %q %q, want %q %q", got, gotType, want, wantType)
	}
	head, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: ptr("cache"), Key: &key})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	if head.Metadata["type"] != "graphviz" {
		t.Errorf("metadata type: got %q, want graphviz", head.Metadata["type"])
	}
}

func TestCreateIsCreateOnly(t *testing.T) {
	store, _, _ := newStore(t)
	ctx := context.Background()
	key := "diagrams/id1.json"
	first := []byte(`{"v":1}`)
	if err := store.Create(ctx, key, first, "application/json", nil); err != nil {
		t.Fatalf("first Create: %v", err)
	}
	err := store.Create(ctx, key, []byte(`{"v":2}`), "application/json", nil)
	if !errors.Is(err, cache.ErrExists) || !errors.Is(err, diagram.ErrExists) {
		t.Fatalf("second Create: got %v, want ErrExists", err)
	}
	got, _, err := store.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, first) {
		t.Errorf("body after second Create: got %q, want %q", got, first)
	}
}

func TestGetMissing(t *testing.T) {
	store, _, _ := newStore(t)
	_, _, err := store.Get(context.Background(), "renders/nope.svg")
	if !errors.Is(err, cache.ErrNotFound) {
		t.Fatalf("got %v, want ErrNotFound", err)
	}
}

func TestPingAndServerDown(t *testing.T) {
	store, srv, _ := newStore(t)
	ctx := context.Background()
	if err := store.Ping(ctx); err != nil {
		t.Fatalf("Ping with server up: %v", err)
	}
	srv.Stop()
	if err := store.Ping(ctx); err == nil {
		t.Fatal("Ping with server down: got nil error")
	}
	if _, _, err := store.Get(ctx, "renders/x.svg"); err == nil || errors.Is(err, cache.ErrNotFound) {
		t.Fatalf("Get with server down: got %v, want a non-NotFound error", err)
	}
	srv.Restart(t)
	if err := store.Ping(ctx); err != nil {
		t.Fatalf("Ping after restart: %v", err)
	}
}

func ptr(s string) *string { return &s }
