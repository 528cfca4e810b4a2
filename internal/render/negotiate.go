package render

import (
	"strconv"
	"strings"

	"github.com/umlimages/umlimages/internal/diagram"
)

// mediaRange is one entry of an Accept header.
type mediaRange struct {
	typ string
	q   float64
}

// parseAccept returns the media ranges of an Accept header, most wanted
// first (stable for equal weights).
func parseAccept(accept string) []mediaRange {
	var out []mediaRange
	for _, part := range strings.Split(accept, ",") {
		fields := strings.Split(part, ";")
		m := mediaRange{typ: strings.ToLower(strings.TrimSpace(fields[0])), q: 1}
		if m.typ == "" {
			continue
		}
		for _, p := range fields[1:] {
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.TrimSpace(k) == "q" {
				if q, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					m.q = q
				}
			}
		}
		if m.q > 0 {
			out = append(out, m)
		}
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].q > out[j-1].q; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// errorFormat picks how an error is shown: "json", "svg" or "text".
func errorFormat(accept string) string {
	for _, m := range parseAccept(accept) {
		switch {
		case m.typ == "application/json":
			return "json"
		case m.typ == "text/plain", m.typ == "text/html", m.typ == "*/*":
			return "text"
		case strings.HasPrefix(m.typ, "image/"):
			return "svg"
		}
	}
	return "text"
}

var acceptFormats = map[string]diagram.Format{
	"image/svg+xml":   diagram.SVG,
	"image/png":       diagram.PNG,
	"image/jpeg":      diagram.JPEG,
	"application/pdf": diagram.PDF,
	"text/plain":      diagram.TXT,
}

// formatFromAccept picks the output format of POST /{type} from Accept:
// the most wanted media type the type renders. "*/*" and "image/*" take
// the type's preferred format.
func formatFromAccept(accept string, t diagram.Type) (string, error) {
	ranges := parseAccept(accept)
	if len(ranges) == 0 {
		return "", diagram.Errorf(diagram.ErrBadRequest, "Output format is undefined. Must be defined as part of the query path or as an Accept header.")
	}
	for _, m := range ranges {
		if f, ok := acceptFormats[m.typ]; ok && t.Supports(f) {
			return string(f), nil
		}
		if m.typ == "*/*" || m.typ == "image/*" {
			return string(t.Preferred), nil
		}
	}
	var types []string
	for _, f := range t.Formats {
		types = append(types, f.ContentType())
	}
	return "", diagram.Errorf(diagram.ErrBadRequest, "Content negotiation failed, no output format found for the following MIME types: %s. Must be one of %s for %s.",
		accept, strings.Join(types, ", "), t.Name)
}
