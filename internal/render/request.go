package render

import (
	"net/http"
	"net/url"

	"github.com/umlimages/umlimages/internal/config"
	"github.com/umlimages/umlimages/internal/diagram"
)

// input is what one route shape read from its request: the raw parts of a
// render, none of them checked yet.
type input struct {
	route  string // the type's route name
	format string // empty: from accept when negotiate, else the type's preferred
	// negotiate picks an empty format from accept (POST /{type}).
	negotiate bool
	accept    string
	encoded   string // a GET payload, decoded once the type is known
	source    []byte // nil: decode encoded
	query     url.Values
	header    http.Header
	options   map[string]any // a JSON body's diagram_options
}

// build is where every route shape ends: it resolves the type, checks it
// is enabled, parses the format, decodes the source, merges the options,
// and returns the render request with its key, computed once.
func (h *Handler) build(in input) (diagram.Request, string, error) {
	t, err := h.lookup(in.route)
	if err != nil {
		return diagram.Request{}, "", err
	}
	format := in.format
	switch {
	case format == "" && in.negotiate:
		if format, err = formatFromAccept(in.accept, t); err != nil {
			return diagram.Request{}, "", err
		}
	case format == "":
		format = string(offerOf(t, h.caps.known()).preferred)
	}
	f, err := diagram.ParseFormat(t, format)
	if err != nil {
		return diagram.Request{}, "", err
	}
	opts, err := diagram.MergeOptions(in.query, in.header, in.options)
	if err != nil {
		return diagram.Request{}, "", err
	}
	source := in.source
	if source == nil {
		if source, err = diagram.Decode(in.encoded, t.PlantUMLEncoding, h.cfg.MaxSourceBytes); err != nil {
			return diagram.Request{}, "", err
		}
	}
	req, err := diagram.NewRequest(t, f, source, opts, h.cfg.MaxSourceBytes)
	if err != nil {
		return diagram.Request{}, "", err
	}
	return req, h.svc.Key(req), nil
}

// lookup finds a type by route name among the types the operator enabled.
func (h *Handler) lookup(route string) (diagram.Type, error) {
	t, err := diagram.LookupRoute(route)
	if err == nil && !h.cfg.EnabledTypes[t.Name] {
		err = diagram.Errorf(diagram.ErrDisabledType, "Diagram type %s is disabled on this server. To enable it, add it to %s "+
			"(its renderer must draw it: locally, point %s at a Kroki that does).", t.Name, config.EnvEnabledTypes, config.EnvKrokiURL)
	}
	return t, err
}

// resolve checks a route name and format against Kroki's table and the
// operator's list of enabled types.
func (h *Handler) resolve(route, format string) (diagram.Type, diagram.Format, error) {
	t, err := h.lookup(route)
	if err != nil {
		return diagram.Type{}, "", err
	}
	f, err := diagram.ParseFormat(t, format)
	return t, f, err
}
