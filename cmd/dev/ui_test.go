package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/umlimages/umlimages/internal/engine"
	"github.com/umlimages/umlimages/internal/testsupport/binpath"
	"github.com/umlimages/umlimages/internal/testsupport/devstack"
)

// chromium finds Debian's Chromium: $CHROME_PATH, the real binary behind
// Debian's wrapper, or the PATH.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROME_PATH"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/lib/chromium/chromium"); err == nil {
		return "/usr/lib/chromium/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("Chromium not found: `make browser` installs Debian's chromium (or set CHROME_PATH)")
	return ""
}

// startStack runs `make dev`'s stack for the test and returns the
// editor's URL, the stack's log and its addresses.
func startStack(t *testing.T) (string, *os.File, devstack.Addrs) {
	t.Helper()
	addrs := freeAddrs(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	out := logFile(t)
	go func() { done <- run(ctx, out, addrs, "", t.TempDir()) }()
	t.Cleanup(func() { cancel(); <-done })
	for !strings.Contains(read(out), "UML Images is running") {
		select {
		case err := <-done:
			t.Fatalf("run ended: %v\n%s", err, read(out))
		case <-time.After(50 * time.Millisecond):
		}
	}
	return "http://" + addrs.UI, out, addrs
}

// startBrowser starts headless Chromium for the test: its context ends
// with the test, or after three minutes.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium(t)), chromedp.WindowSize(1280, 800), chromedp.NoSandbox,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelA)
	bctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(cancelB)
	bctx, cancelT := context.WithTimeout(bctx, 3*time.Minute)
	t.Cleanup(cancelT)
	return bctx
}

// evaluator returns a function evaluating JavaScript in the browser b,
// failing the test when it cannot.
func evaluator(t *testing.T, b context.Context) func(js string) string {
	return func(js string) string {
		t.Helper()
		v, err := chromedp.Run(b, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
}

// TestEditorInTheBrowser drives the editor of `make dev`'s stack in
// headless Chromium: type, switch type, break and fix the source, reload,
// share, download; no console errors under the CDN's CSP; screenshots in
// build/screenshots/.
func TestEditorInTheBrowser(t *testing.T) {
	ui, out, _ := startStack(t)

	bctx := startBrowser(t)

	var mu sync.Mutex
	var problems []string
	chromedp.Listen(bctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				problems = append(problems, fmt.Sprintf("console error: %s", args(ev.Args)))
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+ev.ExceptionDetails.Text)
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.EntryLevelError && !strings.Contains(ev.Entry.Text, "400 (Bad Request)") {
				problems = append(problems, "log: "+ev.Entry.Text)
			}
		}
	})
	if _, err := chromedp.Call(bctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}

	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, actions...); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, read(out))
		}
	}
	eval := evaluator(t, bctx)
	previewLoaded := `(() => { const i = document.querySelector('[data-testid=preview]'); return i.complete && i.naturalWidth > 0 && i.src.startsWith('blob:') && document.querySelector('[data-testid=error]').hidden })()`
	typeSource := func(src string) {
		t.Helper()
		step("type", chromedp.Click(chromedp.CSS(".cm-content")), chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)), chromedp.KeyEvent("\b"))
		step("type", chromedp.SendKeys(chromedp.CSS(".cm-content"), src))
	}

	step("open", chromedp.Navigate(ui), chromedp.WaitVisible(chromedp.CSS("[data-testid=editor] .cm-content")),
		chromedp.Poll[chromedp.Void](previewLoaded, chromedp.WithPollingTimeout(30*time.Second)))

	// Type a graphviz source: the preview loads, through the API.
	typeSource("digraph G { typed -> in_the_browser }")
	step("render typed", chromedp.Poll[chromedp.Void](previewLoaded+` && location.hash.startsWith('#graphviz/svg/')`, chromedp.WithPollingTimeout(30*time.Second)))
	if got := eval(`document.querySelector('.cm-content').innerText`); !strings.Contains(got, "typed -> in_the_browser") {
		t.Errorf("editor holds %q", got)
	}
	if n := eval(`String(performance.getEntriesByType('resource').filter(e => e.name.includes('/graphviz/svg/')).length)`); n == "0" {
		t.Error("no render request went to the API")
	}

	// The type list is the API's: /v1/types, enabled types only.
	if got := eval(`[...document.querySelectorAll('[data-testid=type-select] option')].map(o => o.value).join(',')`); got != strings.Join(engine.Types(), ",") {
		t.Errorf("type list %q, want the local engines from /v1/types", got)
	}
	eval(`(() => { const s = document.querySelector('[data-testid=type-select]'); s.value = 'plantuml'; s.dispatchEvent(new Event('change')); return '' })()`)
	step("switch type", chromedp.Poll[chromedp.Void](previewLoaded+` && location.hash.startsWith('#plantuml/')`, chromedp.WithPollingTimeout(30*time.Second)))
	// Back: the previous diagram returns.
	step("back", chromedp.NavigateBack(), chromedp.Poll[chromedp.Void](previewLoaded+` && document.querySelector('[data-testid=type-select]').value === 'graphviz'`,
		chromedp.WithPollingTimeout(30*time.Second)))

	// Break it: the error shows with its line; fix it: the preview returns.
	typeSource("digraph G {\n  a ->\n}")
	step("error", chromedp.Poll[chromedp.Void](`!document.querySelector('[data-testid=error]').hidden && /^Line \d+: .*syntax error/.test(document.querySelector('[data-testid=error]').textContent) && document.querySelector('.cm-error-line') !== null`,
		chromedp.WithPollingTimeout(30*time.Second)))
	typeSource("digraph G { fixed -> again }")
	step("fixed", chromedp.Poll[chromedp.Void](previewLoaded+` && document.querySelector('.cm-error-line') === null`, chromedp.WithPollingTimeout(30*time.Second)))

	// Reload: the state is kept.
	step("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(".cm-content")),
		chromedp.Poll[chromedp.Void](previewLoaded, chromedp.WithPollingTimeout(30*time.Second)))
	if got := eval(`document.querySelector('.cm-content').innerText`); !strings.Contains(got, "fixed -> again") {
		t.Errorf("after reload the editor holds %q", got)
	}

	// Share: the copied Kroki URL renders the same image as the preview.
	step("share", chromedp.Click(chromedp.CSS("[data-testid=share]")), chromedp.WaitVisible(chromedp.CSS("#share-url")))
	shareURL := eval(`document.querySelector('#share-url').value`)
	if !strings.HasPrefix(shareURL, ui+"/graphviz/svg/") {
		t.Errorf("share URL %q", shareURL)
	}
	same := eval(`new Promise(ok => { const p = document.querySelector('[data-testid=preview]'); const i = new Image();
		i.onload = () => ok(String(i.naturalWidth === p.naturalWidth && i.naturalHeight === p.naturalHeight && i.naturalWidth > 0));
		i.onerror = () => ok('error'); i.src = document.querySelector('#share-url').value; })`)
	if same != "true" {
		t.Errorf("the share URL does not render the image the preview shows (%s)", same)
	}
	if root := xmlRoot(httpGet(t, shareURL)); root != "svg" {
		t.Errorf("the share URL serves <%s>, want an SVG", root)
	}
	step("close share", chromedp.Click(chromedp.CSS("#share-dialog button[value=close]")))

	// Download SVG: a valid SVG.
	href := eval(`document.querySelector('[data-testid=download-svg]').href`)
	svg := httpGet(t, href)
	if root := xmlRoot(svg); root != "svg" {
		t.Errorf("the SVG download's root is <%s>", root)
	}
	if !strings.HasPrefix(eval(`document.querySelector('[data-testid=download-png]').href`), ui+"/graphviz/png/") {
		t.Error("the PNG download does not point at the API's PNG render")
	}

	// Screenshots, light and dark.
	root, _ := binpath.Root()
	dir := filepath.Join(root, "build", "screenshots")
	os.MkdirAll(dir, 0o755)
	for _, mode := range []string{"light", "dark"} {
		want := mode == "dark"
		if eval(`String(document.documentElement.classList.contains('dark'))`) != fmt.Sprint(want) {
			step("theme", chromedp.Click(chromedp.CSS("#theme")))
		}
		shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "editor-"+mode+".png"), shot, 0o644)
	}

	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Error(p)
	}
}

func args(as []*runtime.RemoteObject) string {
	var parts []string
	for _, a := range as {
		parts = append(parts, string(a.Value)+a.Description)
	}
	return strings.Join(parts, " ")
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	return string(b)
}

func xmlRoot(doc string) string {
	dec := xml.NewDecoder(bytes.NewReader([]byte(doc)))
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se.Name.Local
		}
	}
}
