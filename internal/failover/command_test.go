package failover_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/umlimages/umlimages/internal/failover"
)

// TestCommand: the README's `failover status | failover | failback
// [--dry-run]` against the Route 53 stand-in: status prints the weights, a
// dry run switches nothing, a failover switches, a bad verb is exit 2.
func TestCommand(t *testing.T) {
	r := newRig(t)
	s := r.switcher(t)
	ctx := context.Background()
	var out bytes.Buffer
	if code := failover.Command(ctx, []string{"status"}, &out, io.Discard, s); code != 0 || !strings.Contains(out.String(), `"weights"`) {
		t.Fatalf("status: %d %s", code, out.String())
	}
	if code := failover.Command(ctx, []string{"failover", "--dry-run", "--reason", "drill"}, io.Discard, io.Discard, s); code != 0 {
		t.Fatalf("dry run: exit %d", code)
	}
	serving(t, s, failover.Primary)
	if code := failover.Command(ctx, []string{"failover", "--reason", "drill"}, io.Discard, io.Discard, s); code != 0 {
		t.Fatalf("failover: exit %d", code)
	}
	serving(t, s, failover.Standby)
	for _, args := range [][]string{nil, {"sideways"}, {"status", "--nope"}} {
		if code := failover.Command(ctx, args, io.Discard, io.Discard, s); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
