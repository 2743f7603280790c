package sessionsmem_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/memstore/sessionsmem"
	"github.com/secuird/authy/ports/sessionsport"
	"github.com/secuird/authy/ports/sessionsport/sessionsporttest"
)

func TestCache_MeetsTheCacheContract(t *testing.T) {
	sessionsporttest.CacheContract(t, func(*testing.T) sessionsport.Cache { return sessionsmem.NewCache() },
		time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC))
}

func TestCache_SweepsDeadEntriesAndTombstones(t *testing.T) {
	c := sessionsmem.NewCache()
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	for i := 0; i < 2000; i++ {
		e := sessionsport.CachedSession{
			ID: uuid.New(), Hash: sessionsporttest.RandomHash(t),
			ExpiresAt: now.Add(time.Minute), AbsoluteExpiresAt: now.Add(time.Hour),
		}
		if err := c.Put(t.Context(), e, now); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			_ = c.Purge(t.Context(), []sessionsport.Purge{{Hash: e.Hash, Until: now.Add(time.Minute)}}, now)
		}
	}
	later := now.Add(2 * time.Minute)
	for i := 0; i < 1100; i++ {
		e := sessionsport.CachedSession{ID: uuid.New(), Hash: sessionsporttest.RandomHash(t), ExpiresAt: later.Add(time.Minute)}
		_ = c.Put(t.Context(), e, later)
	}
	entries, tombs := c.Len()
	if entries > 1100 || tombs != 0 {
		t.Fatalf("after a sweep: %d entries, %d tombstones; dead ones must go", entries, tombs)
	}
}
