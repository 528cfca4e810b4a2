package render_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/umlimages/umlimages/internal/config"
	"github.com/umlimages/umlimages/internal/diagram"
)

// TestOriginLock: with an origin secret, only requests carrying it (what
// CloudFront and the probes send) are served; anything reaching the
// regional endpoint directly gets a 403 naming the way in, in the form it
// asked for.
func TestOriginLock(t *testing.T) {
	const secret = "s3cr3t-from-secrets-manager"
	s := newStack(t, func(o *config.Render) { o.OriginSecret = secret })
	path := "/graphviz/svg/" + diagram.Encode([]byte("digraph { a -> b }"))
	for _, c := range []struct {
		name, method, path string
		headers            []string
		want               int
	}{
		{"a render without the secret", "GET", path, nil, http.StatusForbidden},
		{"a wrong secret", "GET", path, []string{config.OriginHeader, "guess"}, http.StatusForbidden},
		{"a secret's prefix", "GET", path, []string{config.OriginHeader, secret[:8]}, http.StatusForbidden},
		{"health without it", "GET", "/health", nil, http.StatusForbidden},
		{"a preflight without it", "OPTIONS", path, []string{"Origin", "https://example.org"}, http.StatusForbidden},
		{"a JSON client without it", "POST", "/", nil, http.StatusForbidden},
		{"a render through the edge", "GET", path, []string{config.OriginHeader, secret}, http.StatusOK},
		{"health through the edge", "GET", "/health", []string{config.OriginHeader, secret}, http.StatusOK},
	} {
		resp := s.do(t, c.method, c.path, "", append(c.headers, "Accept", "application/json")...)
		if resp.StatusCode != c.want {
			t.Errorf("%s: %d, want %d: %s", c.name, resp.StatusCode, c.want, resp.body)
		}
		if c.want == http.StatusForbidden && !strings.Contains(string(resp.body), "CloudFront distribution") {
			t.Errorf("%s: message %s", c.name, resp.body)
		}
	}
}
