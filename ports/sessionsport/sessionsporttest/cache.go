package sessionsporttest

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/sessions"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/sessionsport"
)

func cached(t *testing.T, now time.Time) sessionsport.CachedSession {
	t.Helper()
	return sessionsport.CachedSession{
		ID: uuid.New(), User: shared.UserID(uuid.New()), Hash: RandomHash(t),
		Method: method, AuthTime: now.Add(-2 * time.Minute),
		CreatedAt: now.Add(-time.Minute), LastSeenAt: now, ExpiresAt: now.Add(15 * time.Minute),
		AbsoluteExpiresAt: now.Add(8 * time.Hour), SyncedAt: now.Add(-30 * time.Second),
	}
}

func sameEntry(t *testing.T, got, want sessionsport.CachedSession) {
	t.Helper()
	if got.ID != want.ID || got.User != want.User || got.Hash != want.Hash || !got.CreatedAt.Equal(want.CreatedAt) ||
		!got.LastSeenAt.Equal(want.LastSeenAt) || !got.ExpiresAt.Equal(want.ExpiresAt) ||
		!got.AbsoluteExpiresAt.Equal(want.AbsoluteExpiresAt) || !got.SyncedAt.Equal(want.SyncedAt) ||
		got.Method != want.Method || !got.AuthTime.Equal(want.AuthTime) {
		t.Fatalf("cached entry differs:\n got  %+v\n want %+v", got, want)
	}
}

// CacheContract checks a Cache. open returns a fresh cache for each subtest
// (shared backends isolate themselves with a key prefix). now is the time
// the suite writes at; Redis-backed caches expire keys by wall time, so pass
// the real time there.
func CacheContract(t *testing.T, open func(t *testing.T) sessionsport.Cache, now time.Time) {
	t.Helper()
	ctx := context.Background()
	now = now.UTC().Truncate(time.Microsecond)

	t.Run("an unknown hash is a miss and ping answers", func(t *testing.T) {
		c := open(t)
		if _, state, err := c.Get(ctx, RandomHash(t)); state != sessionsport.CacheMiss || err != nil {
			t.Fatalf("Get = %v, %v", state, err)
		}
		if err := c.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("put then get returns the entry to the microsecond and put replaces it", func(t *testing.T) {
		c := open(t)
		e := cached(t, now)
		if err := c.Put(ctx, e, now); err != nil {
			t.Fatal(err)
		}
		got, state, err := c.Get(ctx, e.Hash)
		if err != nil || state != sessionsport.CacheHit {
			t.Fatalf("Get = %v, %v", state, err)
		}
		sameEntry(t, got, e)
		e.LastSeenAt, e.ExpiresAt, e.SyncedAt = now.Add(time.Minute), now.Add(16*time.Minute), now.Add(time.Minute)
		if err := c.Put(ctx, e, now); err != nil {
			t.Fatal(err)
		}
		got, _, _ = c.Get(ctx, e.Hash)
		sameEntry(t, got, e)
	})

	t.Run("an entry already expired is not stored", func(t *testing.T) {
		c := open(t)
		e := cached(t, now)
		e.ExpiresAt = now
		if err := c.Put(ctx, e, now); err != nil {
			t.Fatal(err)
		}
		if _, state, _ := c.Get(ctx, e.Hash); state != sessionsport.CacheMiss {
			t.Fatalf("state %v", state)
		}
	})

	t.Run("purge removes the entry and its tombstone wins over a later put", func(t *testing.T) {
		c := open(t)
		e, other := cached(t, now), cached(t, now)
		for _, x := range []sessionsport.CachedSession{e, other} {
			if err := c.Put(ctx, x, now); err != nil {
				t.Fatal(err)
			}
		}
		p := []sessionsport.Purge{{Hash: e.Hash, Until: e.AbsoluteExpiresAt}}
		if err := c.Purge(ctx, p, now); err != nil {
			t.Fatal(err)
		}
		if err := c.Purge(ctx, p, now); err != nil {
			t.Fatalf("purge is idempotent: %v", err)
		}
		if _, state, _ := c.Get(ctx, e.Hash); state != sessionsport.CacheRevoked {
			t.Fatalf("after purge: %v", state)
		}
		// A request that read the store before the revocation writes back.
		if err := c.Put(ctx, e, now); err != nil {
			t.Fatal(err)
		}
		if _, state, _ := c.Get(ctx, e.Hash); state != sessionsport.CacheRevoked {
			t.Fatalf("a put after the purge resurrected the entry: %v", state)
		}
		if _, state, _ := c.Get(ctx, other.Hash); state != sessionsport.CacheHit {
			t.Fatalf("purge touched another entry: %v", state)
		}
		// A purge of a hash never cached still leaves a tombstone.
		never := RandomHash(t)
		if err := c.Purge(ctx, []sessionsport.Purge{{Hash: never, Until: now.Add(time.Hour)}}, now); err != nil {
			t.Fatal(err)
		}
		if _, state, _ := c.Get(ctx, never); state != sessionsport.CacheRevoked {
			t.Fatalf("tombstone of an uncached hash: %v", state)
		}
		if err := c.Purge(ctx, nil, now); err != nil {
			t.Fatalf("an empty purge: %v", err)
		}
	})

	t.Run("an unknown mark refuses a hash until a put replaces it and never hides a cached entry", func(t *testing.T) {
		c := open(t)
		h := RandomHash(t)
		if err := c.MarkUnknown(ctx, h, now.Add(5*time.Second), now); err != nil {
			t.Fatal(err)
		}
		if _, state, err := c.Get(ctx, h); state != sessionsport.CacheUnknown || err != nil {
			t.Fatalf("after the mark: %v, %v", state, err)
		}
		if m, err := c.GetMany(ctx, []sessions.TokenHash{h}); err != nil || len(m) != 0 {
			t.Fatalf("GetMany must ignore a mark: %v, %v", m, err)
		}
		// A session created with that hash: its first put wins.
		e := cached(t, now)
		e.Hash = h
		if err := c.Put(ctx, e, now); err != nil {
			t.Fatal(err)
		}
		got, state, err := c.Get(ctx, h)
		if err != nil || state != sessionsport.CacheHit {
			t.Fatalf("a put after the mark: %v, %v", state, err)
		}
		sameEntry(t, got, e)
		// A late mark (a request that read the store before the session
		// existed) does not replace the entry.
		if err := c.MarkUnknown(ctx, h, now.Add(5*time.Second), now); err != nil {
			t.Fatal(err)
		}
		if _, state, _ := c.Get(ctx, h); state != sessionsport.CacheHit {
			t.Fatalf("a mark replaced a cached entry: %v", state)
		}
		// A tombstone wins over a mark.
		marked := RandomHash(t)
		if err := c.MarkUnknown(ctx, marked, now.Add(5*time.Second), now); err != nil {
			t.Fatal(err)
		}
		if err := c.Purge(ctx, []sessionsport.Purge{{Hash: marked, Until: now.Add(time.Hour)}}, now); err != nil {
			t.Fatal(err)
		}
		if _, state, _ := c.Get(ctx, marked); state != sessionsport.CacheRevoked {
			t.Fatalf("purge after a mark: %v", state)
		}
		// A mark already over is not stored.
		past := RandomHash(t)
		if err := c.MarkUnknown(ctx, past, now, now); err != nil {
			t.Fatal(err)
		}
		if _, state, _ := c.Get(ctx, past); state != sessionsport.CacheMiss {
			t.Fatalf("an expired mark: %v", state)
		}
	})

	t.Run("get many returns live entries only", func(t *testing.T) {
		c := open(t)
		a, b, gone := cached(t, now), cached(t, now), cached(t, now)
		for _, x := range []sessionsport.CachedSession{a, b, gone} {
			if err := c.Put(ctx, x, now); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Purge(ctx, []sessionsport.Purge{{Hash: gone.Hash, Until: now.Add(time.Hour)}}, now); err != nil {
			t.Fatal(err)
		}
		got, err := c.GetMany(ctx, []sessions.TokenHash{a.Hash, b.Hash, gone.Hash, RandomHash(t)})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Fatalf("got %d entries, want 2", len(got))
		}
		sameEntry(t, got[a.Hash], a)
		sameEntry(t, got[b.Hash], b)
		if m, err := c.GetMany(ctx, nil); err != nil || len(m) != 0 {
			t.Fatalf("empty GetMany = %v, %v", m, err)
		}
	})
}
