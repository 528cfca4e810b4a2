package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/umlimages/umlimages/internal/diagram"
)

// TestEditorStatesAndTools drives the editor through what a newcomer met:
// a stale preview under an error, an error on first load, links with a
// disabled type, an alias or a bad payload, a tall diagram, the download
// and example labels, the share links (editor and short), and an option.
func TestEditorStatesAndTools(t *testing.T) {
	ui, out, _ := startStack(t)
	b := startBrowser(t)
	eval := evaluator(t, b)
	wait := func(what, js string) {
		t.Helper()
		if err := chromedp.Do(b, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
			t.Fatalf("%s: %v (page: %s)\n%s", what, err, eval(`document.body.innerText.slice(0, 500)`), read(out))
		}
	}
	open := func(hash string) {
		t.Helper()
		if err := chromedp.Do(b, chromedp.Navigate("about:blank"), chromedp.Navigate(ui+"/"+hash), chromedp.WaitVisible(chromedp.CSS(".cm-content"))); err != nil {
			t.Fatal(err)
		}
	}
	link := func(typ, src string) string { return "#" + typ + "/svg/" + diagram.Encode([]byte(src)) }
	const loaded = `(() => { const i = document.querySelector('[data-testid=preview]'); return !i.hidden && i.complete && i.naturalWidth > 0 && !i.dataset.stale && document.querySelector('[data-testid=error]').hidden })()`
	const editorText = `document.querySelector('.cm-content').innerText`
	const errorShown = `!document.querySelector('[data-testid=error]').hidden`
	const broken = "digraph {\n  a ->\n}"

	// A good diagram, then an error: the old image is marked stale, visibly.
	open(link("graphviz", "digraph { good }"))
	wait("first render", loaded)
	eval(`(location.hash = '` + link("graphviz", broken) + `', '')`)
	wait("stale preview", errorShown+` && document.querySelector('[data-testid=preview]').dataset.stale === 'true' && getComputedStyle(document.querySelector('[data-testid=preview]')).opacity < 0.5`)

	// An error on first load: no broken image under it.
	open(link("graphviz", broken))
	wait("first-load error", errorShown)
	if got := eval(`getComputedStyle(document.querySelector('[data-testid=preview]')).display`); got != "none" {
		t.Errorf("with nothing rendered yet the preview is shown (display %s)", got)
	}

	// A disabled type: its source stays, and the editor says why.
	open(link("structurizr", "workspace {\n  kept_here\n}"))
	wait("disabled type", `!document.querySelector('[data-testid=notice]').hidden && document.querySelector('[data-testid=notice]').textContent.includes('structurizr') && `+editorText+`.includes('kept_here')`)
	// An alias: the type it names.
	open(link("dot", "digraph { alias_kept }"))
	wait("alias", loaded+` && document.querySelector('[data-testid=type-select]').value === 'graphviz' && `+editorText+`.includes('alias_kept')`)
	// A bad payload: the source stays, and the editor says why.
	eval(`(location.hash = '#graphviz/svg/!!not-base64', '')`)
	wait("bad payload", `document.querySelector('[data-testid=notice]').textContent.includes('could not be decoded') && `+editorText+`.includes('alias_kept')`)

	// A tall diagram fits the pane; the wheel scrolls, Ctrl+wheel zooms.
	var tall strings.Builder
	tall.WriteString("digraph {")
	for i := range 60 {
		tall.WriteString(" n" + string(rune('a'+i%26)) + strings.Repeat("x", i/26) + " ->")
	}
	tall.WriteString(" end }")
	open(link("graphviz", tall.String()))
	wait("tall render", loaded)
	wait("fit to view", `(() => { const p = document.querySelector('[data-testid=preview]').getBoundingClientRect(), v = document.querySelector('#viewport').getBoundingClientRect(); return p.height <= v.height + 1 && p.height > 50 })()`)
	zoom := eval(`document.querySelector('#zoom-reset').textContent`)
	eval(`(document.querySelector('#viewport').dispatchEvent(new WheelEvent('wheel', { deltaY: -100, bubbles: true, cancelable: true })), '')`)
	if got := eval(`document.querySelector('#zoom-reset').textContent`); got != zoom {
		t.Errorf("a plain wheel zoomed: %s → %s", zoom, got)
	}
	eval(`(document.querySelector('#viewport').dispatchEvent(new WheelEvent('wheel', { deltaY: -100, ctrlKey: true, bubbles: true, cancelable: true })), '')`)
	if got := eval(`document.querySelector('#zoom-reset').textContent`); got == zoom {
		t.Error("Ctrl+wheel did not zoom")
	}

	// The downloads say they are downloads; sources get their language's extension.
	if got := eval(`['download-svg', 'download-png', 'download-source'].map(id => document.getElementById(id).textContent).join('|')`); got != "Download SVG|Download PNG|Download source" {
		t.Errorf("download labels %q", got)
	}
	if got := eval(`document.querySelector('#example').closest('label').textContent.trim().split('\n')[0]`); !strings.HasPrefix(got, "Example") {
		t.Errorf("the example list is labelled %q", got)
	}
	if got := eval(`document.querySelector('[data-testid=download-source]').download`); got != "diagram.dot" {
		t.Errorf("graphviz source downloads as %q", got)
	}

	// Share: the editor link reopens the diagram; so does a short link.
	open(link("graphviz", "digraph { shared_once }"))
	wait("share render", loaded)
	if err := chromedp.Do(b, chromedp.Click(chromedp.CSS("[data-testid=share]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=share-editor]"))); err != nil {
		t.Fatal(err)
	}
	editor := eval(`document.querySelector('[data-testid=share-editor]').value`)
	if err := chromedp.Do(b, chromedp.Click(chromedp.CSS("[data-testid=share-copy-editor]"))); err != nil {
		t.Fatal(err)
	}
	wait("copy feedback", `document.querySelector('[data-testid=share-copied]').textContent.includes('editor link')`)
	if err := chromedp.Do(b, chromedp.Click(chromedp.CSS("#share-save"))); err != nil {
		t.Fatal(err)
	}
	wait("short link", `document.querySelector('[data-testid=share-editor]').value.includes('#d/')`)
	short := eval(`document.querySelector('[data-testid=share-editor]').value`)
	for _, u := range []string{editor, short} {
		if !strings.HasPrefix(u, ui+"/#") {
			t.Fatalf("editor link %q is not the editor's", u)
		}
		open(strings.TrimPrefix(u, ui+"/"))
		wait("reopen "+u, loaded+` && `+editorText+`.includes('shared_once')`)
	}

	// An option from the type's list changes the preview.
	open(link("d2", "client -> api: GET"))
	wait("d2 render", loaded+` && !document.querySelector('[data-testid=options]').hidden`)
	plain := eval(`document.querySelector('[data-testid=preview]').dataset.url`)
	eval(`(() => { const s = document.querySelector('[data-option=theme]'); s.value = '200'; s.dispatchEvent(new Event('change')); return '' })()`)
	wait("themed render", loaded+` && document.querySelector('[data-testid=preview]').dataset.url.includes('theme=200')`)
	themed := eval(`document.querySelector('[data-testid=preview]').dataset.url`)
	if eval(`Promise.all(['`+plain+`', '`+themed+`'].map(u => fetch(u).then(r => r.text()))).then(([a, b]) => String(a !== b && b.includes('<svg')))`) != "true" {
		t.Error("the theme option did not change the image")
	}
}
