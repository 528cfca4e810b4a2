package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/umlimages/umlimages/internal/diagram"
	"github.com/umlimages/umlimages/internal/engine"
	"github.com/umlimages/umlimages/internal/testsupport/stacktest"
)

// hostileSVG runs a script if the browser lets it: it marks its root.
const hostileSVG = `<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><script>document.documentElement.setAttribute("data-ran", "yes")</script><rect width="100" height="100"/></svg>`

// scripted is an engine whose every SVG carries a script.
type scripted struct{}

func (scripted) Formats() []diagram.Format { return []diagram.Format{diagram.SVG} }
func (scripted) Version() string           { return "scripted" }
func (scripted) Options() []string         { return nil }
func (scripted) Render(context.Context, diagram.Format, []byte, diagram.Options) ([]byte, error) {
	return []byte(hostileSVG), nil
}

// TestEmbeddedSVGs: an SVG from the API embedded with <object> keeps its
// links (a click on a PlantUML link, target="_top", navigates the page),
// and an SVG never runs its scripts, opened or embedded.
func TestEmbeddedSVGs(t *testing.T) {
	s := stacktest.Start(t, stacktest.Options{Engines: map[string]engine.Engine{"graphviz": scripted{}}})
	landed := make(chan struct{}, 1)
	var object string
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/landed":
			select {
			case landed <- struct{}{}:
			default:
			}
			io.WriteString(w, "<!doctype html><title>landed</title>")
		case "/page":
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, object)
		case "/unprotected.svg":
			w.Header().Set("Content-Type", "image/svg+xml")
			io.WriteString(w, hostileSVG)
		}
	}))
	t.Cleanup(site.Close)

	src := fmt.Sprintf("@startuml\nrectangle \"Open the page\" as R [[%s/landed]]\n@enduml", site.URL)
	svgURL := s.API.URL + "/plantuml/svg/" + diagram.Encode([]byte(src))
	svg := httpGet(t, svgURL)
	link := regexp.MustCompile(`(?s)<a [^>]*target="_top".*?<rect [^>]*?height="([\d.]+)"[^>]*?width="([\d.]+)" x="([\d.]+)" y="([\d.]+)"`).FindStringSubmatch(svg)
	size := regexp.MustCompile(`width:(\d+)px;height:(\d+)px`).FindStringSubmatch(svg)
	if link == nil || size == nil {
		t.Fatalf("no linked shape in PlantUML's SVG:\n%s", svg)
	}
	num := func(s string) float64 { f, _ := strconv.ParseFloat(s, 64); return f }
	object = fmt.Sprintf(`<!doctype html><body style="margin:0"><object data="%s" type="image/svg+xml" width="%s" height="%s"></object></body>`, svgURL, size[1], size[2])

	b := startBrowser(t)
	if err := chromedp.Do(b, chromedp.Navigate(site.URL+"/page"), chromedp.WaitReady(chromedp.CSS("object"))); err != nil {
		t.Fatal(err)
	}
	x, y := num(link[3])+num(link[2])/2, num(link[4])+num(link[1])/2
	// The embedded document loads after the element; click until the link
	// takes the page (one click once it is there).
	deadline := time.Now().Add(30 * time.Second)
	for navigated := false; !navigated; {
		if err := chromedp.Do(b, chromedp.MouseClickXY(x, y)); err != nil {
			t.Fatal(err)
		}
		select {
		case <-landed:
			navigated = true
		case <-time.After(500 * time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatal("a click on the embedded PlantUML link did not navigate the page")
			}
		}
	}
	// The page's navigation must be over before the next one starts, or
	// it aborts that one; until it is, the old document may still answer,
	// or none.
	for done := false; !done; time.Sleep(100 * time.Millisecond) {
		v, err := chromedp.Run(b, chromedp.Evaluate[bool](`location.pathname === '/landed' && document.readyState === 'complete'`))
		done = err == nil && v
		if !done && time.Now().After(deadline) {
			t.Fatalf("the page did not finish loading /landed: %v", err)
		}
	}

	ran := func(url string) string {
		t.Helper()
		if err := chromedp.Do(b, chromedp.Navigate(url)); err != nil {
			t.Fatal(err)
		}
		v, err := chromedp.Run(b, chromedp.Evaluate[string](`document.documentElement.getAttribute("data-ran") || "no"`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if got := ran(site.URL + "/unprotected.svg"); got != "yes" {
		t.Fatalf("the control SVG's script did not run (%s): the check sees nothing", got)
	}
	if got := ran(s.API.URL + "/graphviz/svg/" + diagram.Encode([]byte("digraph { a }"))); got != "no" {
		t.Error("an SVG from the API ran its script")
	}
}
