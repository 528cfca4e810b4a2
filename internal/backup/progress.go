package backup

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// IsTerminal reports whether f is a terminal (for a progress bar).
func IsTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// NewProgress reports progress on w: a redrawn bar on a terminal, a plain
// line every few seconds otherwise.
func NewProgress(w io.Writer, terminal bool) Progress {
	return &progress{w: w, terminal: terminal, now: time.Now}
}

type progress struct {
	mu          sync.Mutex
	w           io.Writer
	terminal    bool
	now         func() time.Time
	what        string
	total, done int
	bytes, sent int64
	start, last time.Time
	drawn       int // objects done at the last line drawn
}

func (p *progress) Start(what string, objects int, bytes int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.what, p.total, p.bytes, p.done, p.sent = what, objects, bytes, 0, 0
	p.start, p.last = p.now(), time.Time{}
	p.draw(true)
}

func (p *progress) Add(objects int, bytes int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += objects
	p.sent += bytes
	p.draw(false)
}

func (p *progress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn != p.done || p.terminal {
		p.draw(true)
	}
	if p.terminal {
		fmt.Fprintln(p.w)
	}
}

func (p *progress) draw(force bool) {
	now := p.now()
	interval := 2 * time.Second
	if p.terminal {
		interval = 100 * time.Millisecond
	}
	if !force && now.Sub(p.last) < interval && p.done != p.total {
		return
	}
	p.last, p.drawn = now, p.done
	frac := 1.0
	if p.total > 0 {
		frac = float64(p.done) / float64(p.total)
	}
	line := fmt.Sprintf("%s: %d/%d objects, %.1f/%.1f MB, %s", p.what, p.done, p.total,
		float64(p.sent)/1e6, float64(p.bytes)/1e6, now.Sub(p.start).Round(time.Millisecond))
	if p.terminal {
		const width = 30
		n := int(frac * width)
		fmt.Fprintf(p.w, "\r[%s%s] %3.0f%% %s", strings.Repeat("#", n), strings.Repeat(" ", width-n), frac*100, line)
		return
	}
	fmt.Fprintln(p.w, line)
}
