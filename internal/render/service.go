// Package render is the render service and its HTTP API. The Service looks
// a render up in the cache by its content address, coalesces identical
// misses into one renderer call, and stores what the renderer returns; the
// Handler speaks Kroki's HTTP API (and more) on top of it.
package render

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/umlimages/umlimages/internal/diagram"
)

// Renderer draws diagrams: a Kroki server.
type Renderer interface {
	Render(ctx context.Context, req diagram.Request) ([]byte, error)
	Health(ctx context.Context) error
}

// Store keeps renders and saved diagrams; writes are create-only and fail
// with diagram.ErrExists; reads of a missing key fail with
// diagram.ErrNotFound.
type Store interface {
	Get(ctx context.Context, key string) (body []byte, contentType string, err error)
	Create(ctx context.Context, key string, body []byte, contentType string, metadata map[string]string) error
	Ping(ctx context.Context) error
}

// ErrStoreUnavailable is a store failure a request cannot do without:
// saving or reading a saved diagram, keeping a render too big to answer
// inline. Renders that fit in a response go on without the store.
var ErrStoreUnavailable = errors.New("render: the store is unavailable")

// storeFailed wraps a store error: unavailable, unless the caller's own
// context ended (its deadline, or its client gone).
func storeFailed(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", op, ctx.Err())
	}
	return fmt.Errorf("%s: %w: %w", op, ErrStoreUnavailable, err)
}

// Tier says where a render was served from.
type Tier string

// Tiers, fastest first.
const (
	FromMemory   Tier = "memory"
	FromStore    Tier = "store"
	FromRenderer Tier = "renderer"
)

// Result is a served render.
type Result struct {
	Body        []byte
	ContentType string
	Key         string // the content address; the ETag
	Object      string // where it lives in the bucket
	Tier        Tier
	Stored      bool // known to be in the store now
}

// Cached reports whether the render was served without the renderer.
func (r Result) Cached() bool { return r.Tier != FromRenderer }

// Service renders through the cache.
type Service struct {
	renderer Renderer
	store    Store
	log      *slog.Logger
	version  string
	timeout  time.Duration
	flights  singleflight.Group
	memory   *memory
	// stored remembers the keys this process rendered and stored lately:
	// a request that missed the cache while their flight was under way
	// reads the stored render instead of starting a second one.
	stored *recentKeys
	// storeRetry paces writing renders the store missed (it was down when
	// they were made): one try at a time, every retryAfter at most.
	storeRetry pacer
	// rendererDown is the last check's verdict on the renderer: while it
	// failed, misses fail at once (the renderer would hold them to their
	// deadline), and a miss starts a new check every storeRetryEvery.
	rendererDown  atomic.Bool
	rendererCheck pacer
	now           func() time.Time
}

// pacer allows one try, then none until a wait has passed.
type pacer struct{ next atomic.Int64 }

func (p *pacer) allow(now time.Time) bool { return now.UnixNano() >= p.next.Load() }

func (p *pacer) wait(now time.Time) { p.next.Store(now.Add(storeRetryEvery).UnixNano()) }

// storeRetryEvery is how often a render the store missed is offered
// again, and how often a renderer known to be down is checked.
const storeRetryEvery = 5 * time.Second

// CheckTimeout bounds one health check of the renderer or the store.
const CheckTimeout = 3 * time.Second

// ServiceOptions configure a Service.
type ServiceOptions struct {
	// RendererVersion is part of every cache key: a new renderer version
	// never serves renders of the old one.
	RendererVersion string
	// Timeout bounds one renderer call, whoever waits for it.
	Timeout time.Duration
	// MemoryBytes bounds the in-process tier of hot renders; 0 disables it.
	MemoryBytes int
	Logger      *slog.Logger
}

// NewService returns a service over a renderer and a store.
func NewService(r Renderer, s Store, o ServiceOptions) *Service {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{renderer: r, store: s, log: log, version: o.RendererVersion, timeout: o.Timeout,
		memory: newMemory(o.MemoryBytes), stored: newRecentKeys(recentStored), now: time.Now}
}

// Key is the content address req would be stored under.
func (s *Service) Key(req diagram.Request) string { return req.Key(s.version) }

// Render serves req from memory or the store, or renders it once however
// many callers ask at the same time, and stores the result. A store failure
// never fails a render; a renderer failure is never stored.
func (s *Service) Render(ctx context.Context, req diagram.Request) (Result, error) {
	return s.RenderKey(ctx, req, s.Key(req))
}

// RenderKey is Render for a caller that has computed req's key already
// (hashing a source of up to a megabyte twice is measurable).
func (s *Service) RenderKey(ctx context.Context, req diagram.Request, key string) (Result, error) {
	object := diagram.RenderObject(key, req.Format)
	if it, ok := s.memory.get(key); ok {
		if !it.stored && s.storeRetry.allow(s.now()) {
			it.stored = s.store.Create(ctx, object, it.body, it.contentType, s.metadata(req)) == nil
			if it.stored {
				s.memory.put(key, it.body, it.contentType, true)
			} else {
				s.storeRetry.wait(s.now())
			}
		}
		return Result{Body: it.body, ContentType: it.contentType, Key: key, Object: object, Tier: FromMemory, Stored: it.stored}, nil
	}
	body, ct, err := s.store.Get(ctx, object)
	switch {
	case err == nil:
		s.memory.put(key, body, ct, true)
		return Result{Body: body, ContentType: ct, Key: key, Object: object, Tier: FromStore, Stored: true}, nil
	case !errors.Is(err, diagram.ErrNotFound):
		s.log.WarnContext(ctx, "cache read failed", "object", object, "error", err)
	}
	if s.rendererDown.Load() {
		if now := s.now(); s.rendererCheck.allow(now) {
			s.rendererCheck.wait(now)
			go s.checkRenderer()
		}
		return Result{}, fmt.Errorf("render %s: %w: its last health check failed", key, diagram.ErrUnavailable)
	}
	ch := s.flights.DoChan(key, func() (any, error) {
		// A flight for this key may have ended between this request's
		// cache miss and now: serve what it left.
		if it, ok := s.memory.get(key); ok {
			return Result{Body: it.body, ContentType: it.contentType, Key: key, Object: object, Tier: FromMemory, Stored: it.stored}, nil
		}
		if s.stored.has(key) {
			if body, ct, err := s.store.Get(ctx, object); err == nil {
				return Result{Body: body, ContentType: ct, Key: key, Object: object, Tier: FromStore, Stored: true}, nil
			}
		}
		return s.renderAndStore(context.WithoutCancel(ctx), req, key, object)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return Result{}, r.Err
		}
		return r.Val.(Result), nil
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return Result{}, fmt.Errorf("render %s: %w", key, diagram.ErrTimeout)
		}
		return Result{}, ctx.Err()
	}
}

// RenderFresh renders req and keeps nothing, in memory or the store: the
// health probe's fresh canaries, which are checks, not data.
func (s *Service) RenderFresh(ctx context.Context, req diagram.Request, key string) (Result, error) {
	return s.renderOnly(ctx, req, key, "")
}

func (s *Service) renderOnly(ctx context.Context, req diagram.Request, key, object string) (Result, error) {
	if s.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	body, err := s.renderer.Render(ctx, req)
	if err == nil && len(body) == 0 {
		err = &diagram.SyntaxError{Status: 400, Message: "The renderer returned an empty image for this diagram."}
	}
	if err != nil {
		return Result{}, fmt.Errorf("render %s %s: %w", req.Type.Name, req.Format, err)
	}
	return Result{Body: body, ContentType: req.Format.ContentType(), Key: key, Object: object, Tier: FromRenderer}, nil
}

func (s *Service) renderAndStore(ctx context.Context, req diagram.Request, key, object string) (Result, error) {
	res, err := s.renderOnly(ctx, req, key, object)
	if err != nil {
		return Result{}, err
	}
	switch err := s.store.Create(ctx, object, res.Body, res.ContentType, s.metadata(req)); {
	case err == nil, errors.Is(err, diagram.ErrExists):
		res.Stored = true
		s.stored.add(key)
	default:
		s.log.WarnContext(ctx, "cache write failed", "object", object, "error", err)
	}
	s.memory.put(key, res.Body, res.ContentType, res.Stored)
	return res, nil
}

// Object reads a stored render by its file name (key and extension).
func (s *Service) Object(ctx context.Context, file string) ([]byte, string, error) {
	return s.store.Get(ctx, diagram.RendersPrefix+file)
}

// metadata is what a stored render says of itself.
func (s *Service) metadata(req diagram.Request) map[string]string {
	return map[string]string{"type": req.Type.Name, "format": string(req.Format), "renderer-version": s.version}
}

// Saved is a diagram stored for rendering by id: the user data that
// backups protect.
type Saved struct {
	ID      string          `json:"id"`
	Type    string          `json:"diagram_type"`
	Source  string          `json:"diagram_source"`
	Options diagram.Options `json:"diagram_options,omitempty"`
	Created time.Time       `json:"created"`
}

// idLengths are the lengths tried for a saved diagram's id: the shortest
// that is free, or already holds the same diagram, wins.
var idLengths = []int{12, 16, 22, 43}

// Save stores a diagram and returns it with its id. The id is derived from
// the content, so saving the same diagram twice gives the same id.
func (s *Service) Save(ctx context.Context, d Saved) (Saved, error) {
	sum := sha256.Sum256([]byte(d.Type + "\x00" + d.Options.Canonical() + "\x00" + d.Source))
	full := base64.RawURLEncoding.EncodeToString(sum[:])
	d.Created = s.now().UTC().Truncate(time.Second)
	for _, n := range idLengths {
		d.ID = full[:n]
		doc, err := json.Marshal(d)
		if err != nil {
			return Saved{}, fmt.Errorf("save diagram: %w", err)
		}
		err = s.store.Create(ctx, diagram.SavedObject(d.ID), doc, "application/json", map[string]string{"type": d.Type})
		if err == nil {
			return d, nil
		}
		if !errors.Is(err, diagram.ErrExists) {
			return Saved{}, storeFailed(ctx, "save diagram "+d.ID, err)
		}
		old, err := s.Load(ctx, d.ID)
		if err != nil {
			return Saved{}, err
		}
		if old.Type == d.Type && old.Source == d.Source && old.Options.Canonical() == d.Options.Canonical() {
			return old, nil
		}
	}
	return Saved{}, fmt.Errorf("save diagram: every id of %s is taken", full)
}

// Load reads a saved diagram; diagram.ErrNotFound if there is none.
func (s *Service) Load(ctx context.Context, id string) (Saved, error) {
	body, _, err := s.store.Get(ctx, diagram.SavedObject(id))
	if errors.Is(err, diagram.ErrNotFound) {
		return Saved{}, fmt.Errorf("load diagram %s: %w", id, err)
	}
	if err != nil {
		return Saved{}, storeFailed(ctx, "load diagram "+id, err)
	}
	var d Saved
	if err := json.Unmarshal(body, &d); err != nil {
		return Saved{}, fmt.Errorf("load diagram %s: %w", id, err)
	}
	return d, nil
}

// Status is a health verdict, as in the IETF health check draft Kroki uses.
type Status string

// Health verdicts.
const (
	Pass Status = "pass"
	Warn Status = "warn"
	Fail Status = "fail"
)

// Check is one dependency's health.
type Check struct {
	Status   Status  `json:"status"`
	TimeMs   float64 `json:"observedValue"`
	Unit     string  `json:"observedUnit"`
	Time     string  `json:"time"`
	Output   string  `json:"output,omitempty"`
	critical bool
}
