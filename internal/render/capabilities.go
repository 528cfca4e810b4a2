package render

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/umlimages/umlimages/internal/diagram"
)

// How long an answer about the renderer's capabilities holds, and how soon
// a failed question is asked again.
const (
	capabilitiesTTL   = 5 * time.Minute
	capabilitiesRetry = 30 * time.Second
	capabilitiesWait  = 2 * time.Second
)

// CapabilitySource answers what a renderer draws (kroki.Client does):
// ok=false for a full Kroki, which draws Kroki's whole table.
type CapabilitySource interface {
	Capabilities(ctx context.Context) (caps []diagram.Capability, ok bool, err error)
}

// drawable is what this deployment's renderer draws, asked of it on first
// use and again once the answer is capabilitiesTTL old: the local
// renderer's list, or, from a full Kroki, Kroki's table. Until it has
// answered, and while it cannot be asked, the last answer holds (at first:
// the table).
type drawable struct {
	src CapabilitySource
	now func() time.Time

	mu     sync.Mutex
	types  map[string]diagram.Capability // nil: Kroki's whole table
	next   time.Time                     // when to ask again
	asking bool
}

// current asks the renderer when the answer is due, waiting for it, and
// returns what it draws (nil: the whole table).
func (d *drawable) current(ctx context.Context) map[string]diagram.Capability {
	d.mu.Lock()
	due := !d.asking && !d.now().Before(d.next)
	if due {
		d.asking = true
	}
	d.mu.Unlock()
	if due {
		d.ask(ctx)
	}
	return d.known()
}

// known returns the last answer without asking; when it is due, it asks
// in the background.
func (d *drawable) known() map[string]diagram.Capability {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.asking && !d.now().Before(d.next) {
		d.asking = true
		go d.ask(context.Background())
	}
	return d.types
}

func (d *drawable) ask(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, capabilitiesWait)
	defer cancel()
	caps, ok, err := d.src.Capabilities(ctx)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.asking = false
	if err != nil {
		d.next = d.now().Add(capabilitiesRetry)
		return
	}
	d.next, d.types = d.now().Add(capabilitiesTTL), nil
	if ok {
		d.types = map[string]diagram.Capability{}
		for _, c := range caps {
			d.types[c.Name] = c
		}
	}
}

// offer is what the deployment offers of one type: the formats its
// renderer draws (in the table's order), the format a client gets when it
// names none, and the documented options the renderer honours.
type offer struct {
	available bool
	formats   []diagram.Format
	preferred diagram.Format
	options   []diagram.Option
}

// offerOf is t as the renderer with caps draws it (nil caps: all of t).
func offerOf(t diagram.Type, caps map[string]diagram.Capability) offer {
	if caps == nil {
		return offer{available: true, formats: t.Formats, preferred: t.Preferred, options: t.Options}
	}
	c, ok := caps[t.Name]
	if !ok {
		return offer{preferred: t.Preferred}
	}
	o := offer{available: true}
	for _, f := range t.Formats {
		if slices.Contains(c.Formats, f) {
			o.formats = append(o.formats, f)
		}
	}
	for _, opt := range t.Options {
		if slices.Contains(c.Options, opt.Name) {
			o.options = append(o.options, opt)
		}
	}
	switch {
	case slices.Contains(o.formats, t.Preferred):
		o.preferred = t.Preferred
	case slices.Contains(o.formats, diagram.SVG):
		o.preferred = diagram.SVG
	case len(o.formats) > 0:
		o.preferred = o.formats[0]
	default:
		o.available, o.preferred = false, t.Preferred
	}
	return o
}
