package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/kroki"
	"github.com/umlimages/umlimages/internal/sandbox"
)

// BrowserLimits: Chromium reserves far more address space than it uses
// (V8's cages), so its cap is wide; its JavaScript heap is capped by
// --max-old-space-size and its resident set by Browser.MaxRSS.
var BrowserLimits = sandbox.Limits{MemoryBytes: 1 << 40, FileBytes: 64 << 20, TmpBytes: 256 << 20}

// BrowserOptions configure the shared Chromium.
type BrowserOptions struct {
	// Chromium is the browser's binary (Debian's /usr/lib/chromium/chromium).
	Chromium string
	// Scripts is the npm-installed scripts folder (internal/engine/_js),
	// whose pages/ the engines render in.
	Scripts string
	// Concurrency bounds the pages open at once.
	Concurrency int
	// Timeout bounds one render.
	Timeout time.Duration
	// MaxRSS restarts the browser when its processes' memory (their
	// proportional set) passes it after a render; default 1 GiB.
	MaxRSS int64
	Log    *slog.Logger
}

// Browser is one headless Chromium that the browser engines share: started
// in the sandbox on first use and again after it dies or outgrows MaxRSS.
// It talks to us over a pipe (the sandbox has no network at all), and each
// render gets a page of its own, loaded from a file we ship.
type Browser struct {
	opts  BrowserOptions
	box   *sandbox.Sandbox
	spec  sandbox.Spec
	pages string // the pages folder, as the browser sees it
	slots chan struct{}

	mu     sync.Mutex
	ctx    context.Context // the browser's chromedp context; nil when not running
	cancel func()
	spares map[string]chan *tab // pages loaded ahead, by engine page

	starts atomic.Int64
	peak   peak
}

// NewBrowser returns the shared browser; it starts on first use.
func NewBrowser(box *sandbox.Sandbox, o BrowserOptions) *Browser {
	if o.MaxRSS == 0 {
		o.MaxRSS = 1 << 30
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	limits := BrowserLimits
	limits.CPU = 24 * time.Hour // a warm browser lives long: its renders are bounded by Timeout instead
	b := &Browser{opts: o, box: box, slots: make(chan struct{}, o.Concurrency), spares: map[string]chan *tab{},
		spec:  sandbox.Spec{Files: map[string]string{scriptsPath: o.Scripts}, Env: engineEnv(), Limits: limits},
		pages: scriptsPath + "/pages"}
	if !box.Sandboxed() {
		b.spec.Files, b.pages = nil, filepath.Join(o.Scripts, "pages")
	}
	return b
}

// Pid is the running browser's process (its sandbox's), or 0.
func (b *Browser) Pid() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ctx == nil {
		return 0
	}
	if p := chromedp.FromContext(b.ctx).Browser.Process(); p != nil {
		return p.Pid
	}
	return 0
}

// Starts is how many times the browser has been started.
func (b *Browser) Starts() int64 { return b.starts.Load() }

// PeakRSS is the most memory the browser's processes were seen to use
// together (their proportional set).
func (b *Browser) PeakRSS() int64 { return b.peak.max() }

// Close stops the browser.
func (b *Browser) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stopLocked()
	return nil
}

func (b *Browser) stopLocked() {
	if b.cancel != nil {
		b.cancel()
	}
	b.ctx, b.cancel = nil, nil
}

// running returns the browser's context, starting the browser when it is
// not running or has lost its connection.
func (b *Browser) running() (context.Context, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ctx != nil {
		select {
		case <-chromedp.FromContext(b.ctx).Browser.LostConnection:
			b.opts.Log.Warn("chromium died: restarting it")
			b.stopLocked()
		case <-b.ctx.Done():
			b.stopLocked()
		default:
			return b.ctx, nil
		}
	}
	flags := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(b.opts.Chromium), chromedp.Headless, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		// The OS sandbox is the sandbox; Chromium's own needs privileges
		// the sandbox does not give.
		chromedp.NoSandbox, chromedp.NoInheritEnv, chromedp.UserDataDir("/tmp/chromium"),
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-breakpad", true), chromedp.Flag("mute-audio", true),
		chromedp.Flag("js-flags", "--max-old-space-size=512"),
		chromedp.ModifyCmdFunc(func(cmd *exec.Cmd) {
			boxed := b.box.Command(context.Background(), b.spec, cmd.Path, cmd.Args[1:]...)
			cmd.Path, cmd.Args, cmd.Env, cmd.Dir, cmd.SysProcAttr = boxed.Path, boxed.Args, boxed.Env, boxed.Dir, boxed.SysProcAttr
		}),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), flags...)
	ctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithLogf(func(string, ...any) {}))
	// The first run starts the browser, for as long as ctx lives: it must
	// not be a shorter context.
	timer := time.AfterFunc(30*time.Second, cancelBrowser)
	defer timer.Stop()
	if err := chromedp.Do(ctx); err != nil {
		cancelBrowser()
		cancelAlloc()
		return nil, err
	}
	b.ctx, b.cancel = ctx, func() { cancelBrowser(); cancelAlloc() }
	b.starts.Add(1)
	return ctx, nil
}

// pageResult is what a page's render(source, options) resolves to.
type pageResult struct {
	SVG   string `json:"svg"`
	Error string `json:"error"`
}

// Render opens page (pages/<page>.html) in a page of its own, calls its
// render(source, options) and returns the SVG, or a PNG screenshot of it.
// When the browser turns out to have died, it starts another and tries
// once more.
func (b *Browser) Render(ctx context.Context, page string, f diagram.Format, src []byte, opts diagram.Options) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, b.opts.Timeout)
	defer cancel()
	select {
	case b.slots <- struct{}{}:
		defer func() { <-b.slots }()
	case <-ctx.Done():
		return nil, fmt.Errorf("chromium: %w: waited %s for a free page", diagram.ErrTimeout, b.opts.Timeout)
	}
	for attempt := 0; ; attempt++ {
		bctx, err := b.running()
		if err != nil {
			return nil, fmt.Errorf("chromium: %w: %v", diagram.ErrUnavailable, err)
		}
		out, err := b.renderOnce(ctx, bctx, page, f, src, opts)
		var se *diagram.SyntaxError
		switch {
		case err == nil:
			return out, nil
		case errors.As(err, &se):
			return nil, se
		case ctx.Err() != nil:
			return nil, fmt.Errorf("chromium: %w after %s", diagram.ErrTimeout, b.opts.Timeout)
		case b.gone(bctx) && attempt == 0:
			continue
		}
		return nil, fmt.Errorf("chromium: %w: %v", diagram.ErrUnavailable, err)
	}
}

func (b *Browser) renderOnce(ctx, bctx context.Context, page string, f diagram.Format, src []byte, opts diagram.Options) ([]byte, error) {
	t := b.spare(bctx, page)
	if t == nil {
		var err error
		if t, err = b.open(bctx, page); err != nil {
			return nil, err
		}
	}
	defer t.close()
	defer context.AfterFunc(ctx, t.close)()
	out, err := b.renderIn(t.ctx, f, src, opts)
	go func() {
		b.check(bctx)
		b.refill(bctx, page)
	}()
	return out, err
}

// gone reports whether the browser bctx has died, and if so forgets it, so
// that the next use starts another.
func (b *Browser) gone(bctx context.Context) bool {
	select {
	case <-chromedp.FromContext(bctx).Browser.LostConnection:
	case <-bctx.Done():
	case <-time.After(time.Second):
		if p := chromedp.FromContext(bctx).Browser.Process(); p == nil || p.Signal(syscall.Signal(0)) == nil {
			return false
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ctx == bctx {
		b.opts.Log.Warn("chromium died: restarting it")
		b.stopLocked()
	}
	return true
}

// tab is a page of the browser with an engine's page loaded.
type tab struct {
	ctx     context.Context
	close   func()
	browser context.Context // the browser it belongs to
}

// open loads pages/<page>.html in a new page of the browser bctx.
func (b *Browser) open(bctx context.Context, page string) (*tab, error) {
	ctx, cancel := chromedp.NewContext(bctx)
	timer := time.AfterFunc(b.opts.Timeout, cancel)
	defer timer.Stop()
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+b.pages+"/"+page+".html")); err != nil {
		cancel()
		return nil, err
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.warm ? window.warm().then(() => true) : true`, chromedp.EvalAwaitPromise)); err != nil {
		cancel()
		return nil, err
	}
	return &tab{ctx: ctx, close: cancel, browser: bctx}, nil
}

// spare takes a page loaded ahead for page in the browser bctx, if any.
func (b *Browser) spare(bctx context.Context, page string) *tab {
	for {
		select {
		case t := <-b.sparesOf(page):
			if t.browser == bctx && t.ctx.Err() == nil {
				return t
			}
			t.close()
		default:
			return nil
		}
	}
}

// refill loads a page ahead for the next render of page, unless as many
// as may render at once are waiting already.
func (b *Browser) refill(bctx context.Context, page string) {
	spares := b.sparesOf(page)
	if len(spares) == cap(spares) {
		return
	}
	t, err := b.open(bctx, page)
	if err != nil {
		return
	}
	select {
	case spares <- t:
	default:
		t.close()
	}
}

func (b *Browser) sparesOf(page string) chan *tab {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.spares[page] == nil {
		b.spares[page] = make(chan *tab, cap(b.slots))
	}
	return b.spares[page]
}

func (b *Browser) renderIn(tab context.Context, f diagram.Format, src []byte, opts diagram.Options) ([]byte, error) {
	if opts == nil {
		opts = diagram.Options{}
	}
	call := fmt.Sprintf("render(%s, %s)", jsValue(string(src)), jsValue(opts))
	res, err := chromedp.Run(tab, chromedp.Evaluate[pageResult](call, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, err
	}
	if res.Error != "" || res.SVG == "" {
		msg := strings.TrimSpace(res.Error)
		if msg == "" {
			msg = "the diagram could not be rendered"
		}
		return nil, &diagram.SyntaxError{Status: 400, Message: msg, Line: kroki.Line(msg)}
	}
	if f != diagram.PNG {
		return []byte(res.SVG), nil
	}
	show := fmt.Sprintf("document.body.style.margin = '0'; document.body.innerHTML = %s; true", jsValue(res.SVG))
	if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](show)); err != nil {
		return nil, err
	}
	return chromedp.Run(tab, chromedp.Screenshot(chromedp.CSS("body > svg")))
}

// check records the browser's memory (its processes' proportional set)
// after a render and restarts it (on next use) when it is over the cap.
func (b *Browser) check(bctx context.Context) {
	p := chromedp.FromContext(bctx).Browser.Process()
	if p == nil {
		return
	}
	rss := sandbox.TreePSS(p.Pid)
	b.peak.record(rss)
	if rss > b.opts.MaxRSS {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.ctx == bctx {
			b.opts.Log.Warn("chromium over its memory cap: restarting it", "rss_mib", rss>>20)
			b.stopLocked()
		}
	}
}

// jsValue is v as a JavaScript expression: its JSON.
func jsValue(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// BrowserEngine is one type rendered by a page of the shared browser.
type BrowserEngine struct {
	browser *Browser
	page    string
	formats []diagram.Format
	// values are the options the page honours, each with the values it
	// takes.
	values  map[string][]string
	version string
}

// NewBrowserEngine returns the engine for the page pages/<page>.html.
func NewBrowserEngine(b *Browser, page string, formats []diagram.Format, values map[string][]string, version string) *BrowserEngine {
	return &BrowserEngine{browser: b, page: page, formats: formats, values: values, version: version}
}

// Formats are the formats this page renders.
func (e *BrowserEngine) Formats() []diagram.Format { return e.formats }

// Options are the options this page honours.
func (e *BrowserEngine) Options() []string { return slices.Sorted(maps.Keys(e.values)) }

// Version names the library and its version.
func (e *BrowserEngine) Version() string { return e.version }

// Render draws the diagram in the shared browser.
func (e *BrowserEngine) Render(ctx context.Context, f diagram.Format, src []byte, opts diagram.Options) ([]byte, error) {
	for name, v := range opts {
		if allowed := e.values[name]; !slices.Contains(allowed, v) {
			return nil, diagram.Errorf(diagram.ErrBadOptions, "Option %s: %q is not one of %s.", name, v, strings.Join(allowed, ", "))
		}
	}
	return e.browser.Render(ctx, e.page, f, src, opts)
}
