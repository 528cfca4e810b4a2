package render

import (
	"container/list"
	"net/http"
	"sync"
)

// memory is a least-recently-used set of renders bounded in bytes: the hot
// tier in front of the bucket, kept by each process (a warm Lambda keeps
// its recent renders). Renders are immutable under their key, so entries
// never go stale.
type memory struct {
	mu     sync.Mutex
	budget int
	used   int
	order  *list.List // front: most recently used
	items  map[string]*list.Element
}

type memoryItem struct {
	key         string
	body        []byte
	contentType string
	stored      bool // also in the bucket
	// The handler's hot tier: the response's ETag, its headers (made
	// once), and the canonical type and format, for the log line.
	etag        string
	header      fields
	typ, format string
}

// newMemory returns a tier holding at most budget bytes; 0 disables it.
func newMemory(budget int) *memory {
	return &memory{budget: budget, order: list.New(), items: map[string]*list.Element{}}
}

func (m *memory) get(key string) (memoryItem, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.items[key]
	if !ok {
		return memoryItem{}, false
	}
	m.order.MoveToFront(e)
	return e.Value.(memoryItem), true
}

// put keeps a render unless it would take more than an eighth of the
// budget, evicting the least recently used to make room.
func (m *memory) put(key string, body []byte, contentType string, stored bool) {
	m.putItem(memoryItem{key: key, body: body, contentType: contentType, stored: stored})
}

func (m *memory) putItem(item memoryItem) {
	key, size := item.key, len(item.body)+len(item.key)
	if size > m.budget/8 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.items[key]; ok {
		it := e.Value.(memoryItem)
		it.stored = it.stored || item.stored
		e.Value = it
		return
	}
	for m.used+size > m.budget {
		last := m.order.Back()
		it := last.Value.(memoryItem)
		m.order.Remove(last)
		delete(m.items, it.key)
		m.used -= len(it.body) + len(it.key)
	}
	m.items[key] = m.order.PushFront(item)
	m.used += size
}

// recentStored is how many recently stored keys a Service remembers: far
// more than can be in flight at once.
const recentStored = 4096

// recentKeys is a bounded set of keys, the oldest forgotten first.
type recentKeys struct {
	mu   sync.Mutex
	keys map[string]struct{}
	ring []string
	next int
}

func newRecentKeys(n int) *recentKeys {
	return &recentKeys{keys: make(map[string]struct{}, n), ring: make([]string, n)}
}

func (r *recentKeys) add(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.keys[key]; ok {
		return
	}
	if old := r.ring[r.next]; old != "" {
		delete(r.keys, old)
	}
	r.ring[r.next] = key
	r.keys[key] = struct{}{}
	r.next = (r.next + 1) % len(r.ring)
}

func (r *recentKeys) has(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.keys[key]
	return ok
}

// fields are response headers made once, in canonical form.
type fields []struct {
	key    string
	values []string
}

// setMissing sets each field hdr does not have yet.
func (fs fields) setMissing(hdr http.Header) {
	for _, f := range fs {
		if _, set := hdr[f.key]; !set {
			hdr[f.key] = f.values
		}
	}
}
