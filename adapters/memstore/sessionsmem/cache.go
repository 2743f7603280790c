package sessionsmem

import (
	"context"
	"sync"
	"time"

	"github.com/secuird/authy/domain/sessions"
	"github.com/secuird/authy/ports/sessionsport"
)

// sweepEvery is how many writes pass between two sweeps of dead entries,
// which keeps memory bounded by the live sessions without a goroutine.
const sweepEvery = 1024

// Cache is the in-process sessionsport.Cache. It never fails.
type Cache struct {
	mu      sync.RWMutex
	entries map[sessions.TokenHash]sessionsport.CachedSession
	tombs   map[sessions.TokenHash]time.Time
	unknown map[sessions.TokenHash]time.Time
	writes  int
}

var _ sessionsport.Cache = (*Cache)(nil)

// NewCache returns an empty cache.
func NewCache() *Cache {
	return &Cache{
		entries: map[sessions.TokenHash]sessionsport.CachedSession{},
		tombs:   map[sessions.TokenHash]time.Time{},
		unknown: map[sessions.TokenHash]time.Time{},
	}
}

// Get implements sessionsport.Cache.
func (c *Cache) Get(_ context.Context, h sessions.TokenHash) (sessionsport.CachedSession, sessionsport.CacheState, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if _, dead := c.tombs[h]; dead {
		return sessionsport.CachedSession{}, sessionsport.CacheRevoked, nil
	}
	if e, ok := c.entries[h]; ok {
		return e, sessionsport.CacheHit, nil
	}
	if _, ok := c.unknown[h]; ok {
		return sessionsport.CachedSession{}, sessionsport.CacheUnknown, nil
	}
	return sessionsport.CachedSession{}, sessionsport.CacheMiss, nil
}

// GetMany implements sessionsport.Cache.
func (c *Cache) GetMany(_ context.Context, hs []sessions.TokenHash) (map[sessions.TokenHash]sessionsport.CachedSession, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make(map[sessions.TokenHash]sessionsport.CachedSession, len(hs))
	for _, h := range hs {
		if _, dead := c.tombs[h]; dead {
			continue
		}
		if e, ok := c.entries[h]; ok {
			out[h] = e
		}
	}
	return out, nil
}

// Put implements sessionsport.Cache.
func (c *Cache) Put(_ context.Context, e sessionsport.CachedSession, now time.Time) error {
	if !e.ExpiresAt.After(now) {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[e.Hash] = e
	delete(c.unknown, e.Hash)
	c.wrote(now)
	return nil
}

// Purge implements sessionsport.Cache.
func (c *Cache) Purge(_ context.Context, ps []sessionsport.Purge, now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range ps {
		delete(c.entries, p.Hash)
		delete(c.unknown, p.Hash)
		if p.Until.After(now) {
			c.tombs[p.Hash] = p.Until
		}
	}
	c.wrote(now)
	return nil
}

// MarkUnknown implements sessionsport.Cache. A marker is never stored
// beside an entry: Get would report the entry anyway, and Put drops it.
func (c *Cache) MarkUnknown(_ context.Context, h sessions.TokenHash, until, now time.Time) error {
	if !until.After(now) {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[h]; ok {
		return nil
	}
	c.unknown[h] = until
	c.wrote(now)
	return nil
}

// Ping implements sessionsport.Cache.
func (c *Cache) Ping(context.Context) error { return nil }

// Len reports how many entries and tombstones are held (for tests);
// unknown markers are not counted.
func (c *Cache) Len() (entries, tombstones int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries), len(c.tombs)
}

// wrote counts a write and sweeps dead entries every sweepEvery writes.
// Callers hold mu.
func (c *Cache) wrote(now time.Time) {
	c.writes++
	if c.writes < sweepEvery {
		return
	}
	c.writes = 0
	for h, e := range c.entries {
		if !e.ExpiresAt.After(now) {
			delete(c.entries, h)
		}
	}
	for h, until := range c.tombs {
		if !until.After(now) {
			delete(c.tombs, h)
		}
	}
	for h, until := range c.unknown {
		if !until.After(now) {
			delete(c.unknown, h)
		}
	}
}
