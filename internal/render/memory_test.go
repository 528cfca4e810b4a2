package render

import (
	"strings"
	"testing"
)

func TestMemoryEvictsLeastRecentlyUsed(t *testing.T) {
	m := newMemory(800) // items up to 100 bytes
	body := []byte(strings.Repeat("x", 90))
	for _, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		m.put(k, body, "image/svg+xml", true)
	}
	if m.used > m.budget {
		t.Fatalf("used %d over the budget %d", m.used, m.budget)
	}
	m.get("a") // a is now the most recent
	m.put("i", body, "image/svg+xml", true)
	if _, ok := m.get("a"); !ok {
		t.Error("the recently used entry was evicted")
	}
	if _, ok := m.get("b"); ok {
		t.Error("the least recently used entry was kept")
	}
	m.put("big", []byte(strings.Repeat("x", 101)), "image/svg+xml", true)
	if _, ok := m.get("big"); ok {
		t.Error("an entry over an eighth of the budget was kept")
	}
	off := newMemory(0)
	off.put("a", []byte("x"), "t", true)
	if _, ok := off.get("a"); ok {
		t.Error("a zero budget kept an entry")
	}
	m.put("a", body, "image/svg+xml", false)
	if it, _ := m.get("a"); !it.stored {
		t.Error("a later put forgot that the entry is stored")
	}
}
