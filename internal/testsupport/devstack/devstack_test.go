package devstack

import "testing"

// TestParsePorts: DEV_PORTS moves the parts it names and no other; a bad
// entry is an error naming it.
func TestParsePorts(t *testing.T) {
	a, err := ParsePorts("api=9101, UI=9102")
	if err != nil {
		t.Fatal(err)
	}
	if want := (Addrs{S3: Default.S3, Kroki: Default.Kroki, API: "127.0.0.1:9101", UI: "127.0.0.1:9102"}); a != want {
		t.Errorf("got %+v, want %+v", a, want)
	}
	if a, err := ParsePorts(""); err != nil || a != Default {
		t.Errorf("empty: %+v %v", a, err)
	}
	for _, bad := range []string{"api", "web=1", "api=0", "api=70000", "api=x"} {
		if _, err := ParsePorts(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
