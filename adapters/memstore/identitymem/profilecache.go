package identitymem

import (
	"context"
	"sync"
	"time"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
)

// profileSweepEvery is how many writes pass between two sweeps of dead
// profile entries, which keeps memory bounded by the active users.
const profileSweepEvery = 1024

// ProfileCache is the in-process identityport.ProfileCache of the single
// embedded instance. It never fails.
type ProfileCache struct {
	ttl    time.Duration
	mu     sync.RWMutex
	slots  map[shared.UserID]profileSlot
	writes int
}

// profileSlot is a cached view, or a hold when held is set; either lasts
// until until.
type profileSlot struct {
	view  identityport.UserView
	held  bool
	until time.Time
}

var _ identityport.ProfileCache = (*ProfileCache)(nil)

// NewProfileCache returns an empty cache whose entries and holds last ttl.
func NewProfileCache(ttl time.Duration) *ProfileCache {
	return &ProfileCache{ttl: ttl, slots: map[shared.UserID]profileSlot{}}
}

// TTL implements identityport.ProfileCache.
func (c *ProfileCache) TTL() time.Duration { return c.ttl }

// Get implements identityport.ProfileCache.
func (c *ProfileCache) Get(_ context.Context, id shared.UserID, now time.Time) (identityport.UserView, identityport.ProfileLookup, error) {
	c.mu.RLock()
	s, ok := c.slots[id]
	c.mu.RUnlock()
	switch {
	case !ok || !now.Before(s.until):
		return identityport.UserView{}, identityport.ProfileMiss, nil
	case s.held:
		return identityport.UserView{}, identityport.ProfileChanging, nil
	}
	return s.view, identityport.ProfileHit, nil
}

// Fill implements identityport.ProfileCache.
func (c *ProfileCache) Fill(_ context.Context, v identityport.UserView, now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.slots[v.ID]; ok && now.Before(s.until) {
		return nil
	}
	c.slots[v.ID] = profileSlot{view: v, until: now.Add(c.ttl)}
	c.wrote(now)
	return nil
}

// Invalidate implements identityport.ProfileCache.
func (c *ProfileCache) Invalidate(_ context.Context, id shared.UserID, now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slots[id] = profileSlot{held: true, until: now.Add(c.ttl)}
	c.wrote(now)
	return nil
}

// wrote counts a write and sweeps dead slots every profileSweepEvery
// writes. Callers hold mu.
func (c *ProfileCache) wrote(now time.Time) {
	c.writes++
	if c.writes < profileSweepEvery {
		return
	}
	c.writes = 0
	for id, s := range c.slots {
		if !now.Before(s.until) {
			delete(c.slots, id)
		}
	}
}
