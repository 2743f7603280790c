package sessionsport

import (
	"context"
	"sync"
)

// ReadAhead carries, through one request's context, what the session cache
// read for other contexts' caches in the same round trip as the session:
// the cache of the user's profile view, say, whose key the session cache
// can name once it knows the session's user. A later cache lookup of the
// same request takes the value instead of asking the cache again.
//
// Keys are opaque: each is the key the reading cache chose. A value stands
// for the cache's answer at the moment the session was read, so it is only
// ever served to the request that read it, and a change the request makes
// itself must Forget what it changed. The zero value and a nil *ReadAhead
// are empty (every method is safe on nil).
type ReadAhead struct {
	mu    sync.Mutex
	items []readAheadItem
}

type readAheadItem struct {
	key   string
	value string
	found bool
}

type readAheadKey struct{}

// WithReadAhead returns ctx carrying a new, empty ReadAhead. The inbound
// adapter calls it once per request, before authenticating.
func WithReadAhead(ctx context.Context) context.Context {
	return context.WithValue(ctx, readAheadKey{}, &ReadAhead{})
}

// ReadAheadFrom returns the ReadAhead ctx carries, or nil.
func ReadAheadFrom(ctx context.Context) *ReadAhead {
	r, _ := ctx.Value(readAheadKey{}).(*ReadAhead)
	return r
}

// Put records the cache's answer for key: value when found, else that the
// cache held nothing. It replaces an earlier answer for key.
func (r *ReadAhead) Put(key, value string, found bool) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.items {
		if r.items[i].key == key {
			r.items[i] = readAheadItem{key: key, value: value, found: found}
			return
		}
	}
	r.items = append(r.items, readAheadItem{key: key, value: value, found: found})
}

// Take returns the answer recorded for key and forgets it, so it serves
// one lookup; ok is false when none was recorded.
func (r *ReadAhead) Take(key string) (value string, found, ok bool) {
	if r == nil {
		return "", false, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, it := range r.items {
		if it.key == key {
			r.items = append(r.items[:i], r.items[i+1:]...)
			return it.value, it.found, true
		}
	}
	return "", false, false
}

// Forget drops the answer recorded for key, if any.
func (r *ReadAhead) Forget(key string) { r.Take(key) }
