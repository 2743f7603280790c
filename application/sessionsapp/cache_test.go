package sessionsapp_test

import (
	"context"
	"testing"
	"time"

	"github.com/secuird/authy/adapters/memstore/sessionsmem"
	"github.com/secuird/authy/application/sessionsapp"
	"github.com/secuird/authy/ports/sessionsport"
)

func TestNew_StartsWithTheCacheSuspectUntilReconciled(t *testing.T) {
	f := newFixture(t)
	svc, err := sessionsapp.New(sessionsapp.Deps{
		Store: f.store, UoW: f.db, Cache: sessionsmem.NewCache(), Tokens: f.tokens, Audit: f.audit,
		Clock: f.clock, Policy: f.policy, Limiter: f.limiter, UnknownTokens: unknownLimit,
	})
	if err != nil {
		t.Fatal(err)
	}
	if svc.CacheTrusted() {
		t.Fatal("a new service must not trust a cache it has not reconciled")
	}
	if err := svc.Reconcile(context.Background()); err != nil || !svc.CacheTrusted() {
		t.Fatalf("reconcile: %v trusted=%v", err, svc.CacheTrusted())
	}
	if _, err := sessionsapp.New(sessionsapp.Deps{Store: f.store}); err == nil {
		t.Fatal("missing dependencies must fail at construction")
	}
}

func TestCacheOutage_ServesFromTheStoreAndNeverLetsARevokedSessionBackIn(t *testing.T) {
	f := newFixture(t)
	user := f.newUser(t)
	kept, revoked := f.start(t, user), f.start(t, user)
	p := f.auth(t, kept.Token)
	f.auth(t, revoked.Token) // both cached now

	f.cache.down.Store(true)
	f.clock.Advance(time.Minute)
	p = f.auth(t, kept.Token) // served from the store
	if f.svc.CacheTrusted() {
		t.Fatal("a cache error must make the cache suspect")
	}
	if err := f.svc.Revoke(context.Background(), p, revoked.Session.ID); err != nil {
		t.Fatalf("revocation must work without the cache: %v", err)
	}
	f.refused(t, revoked.Token)
	if ps, _ := f.store.PendingPurges(context.Background(), 10); len(ps) != 1 {
		t.Fatalf("the unapplied purge must stay in the outbox, got %d", len(ps))
	}
	if err := f.svc.Reconcile(context.Background()); err == nil || f.svc.CacheTrusted() {
		t.Fatal("reconcile must fail while the cache is down")
	}

	// The cache is back with its data intact: the revoked session's entry
	// is still in it.
	f.cache.down.Store(false)
	if _, state, _ := f.cache.Get(context.Background(), f.tokens.Hash(revoked.Token)); state != sessionsport.CacheHit {
		t.Fatalf("set-up: the stale entry should still be cached, state %v", state)
	}
	f.refused(t, revoked.Token) // suspect: not read until reconciled
	if err := f.svc.Reconcile(context.Background()); err != nil || !f.svc.CacheTrusted() {
		t.Fatalf("reconcile after recovery: %v", err)
	}
	if _, state, _ := f.cache.Get(context.Background(), f.tokens.Hash(revoked.Token)); state != sessionsport.CacheRevoked {
		t.Fatalf("reconcile must leave a tombstone, state %v", state)
	}
	f.refused(t, revoked.Token)
	f.auth(t, kept.Token)
	if ps, _ := f.store.PendingPurges(context.Background(), 10); len(ps) != 0 {
		t.Fatal("reconcile must empty the outbox")
	}
}

func TestCacheOutage_StoreOnlyModeStillSlidesTheWindow(t *testing.T) {
	f := newFixture(t)
	is := f.start(t, f.newUser(t))
	f.cache.down.Store(true)
	for i := 0; i < 3; i++ {
		f.clock.Advance(idle - time.Second)
		f.auth(t, is.Token)
	}
	if s := f.stored(t, is.Session.ID); !s.LastSeenAt().Equal(f.clock.Now()) {
		t.Fatalf("without the cache every request must reach the store: %s", s.LastSeenAt())
	}
}

func TestReconcile_KeepsTheCacheSuspectWhenAnotherFailureHappensMeanwhile(t *testing.T) {
	f := newFixture(t)
	is := f.start(t, f.newUser(t))
	f.cache.onPing = func() {
		// A request fails on the cache while reconciliation runs.
		f.cache.down.Store(true)
		_, _ = f.svc.Authenticate(context.Background(), is.Token)
		f.cache.down.Store(false)
	}
	_ = f.svc.Reconcile(context.Background())
	if f.svc.CacheTrusted() {
		t.Fatal("trust restored over a failure that happened during reconciliation")
	}
	f.cache.onPing = nil
	if err := f.svc.Reconcile(context.Background()); err != nil || !f.svc.CacheTrusted() {
		t.Fatalf("a clean reconciliation restores trust: %v", err)
	}
}

func TestRevoke_ARequestThatRefillsTheCacheAfterTheRevocationCannotResurrectIt(t *testing.T) {
	f := newFixture(t)
	user := f.newUser(t)
	a, b := f.start(t, user), f.start(t, user)
	p := f.auth(t, a.Token)
	// A concurrent request read b from the store before the revocation
	// committed and writes it back after the purge.
	stale, err := f.store.ByTokenHash(context.Background(), f.tokens.Hash(b.Token))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Revoke(context.Background(), p, b.Session.ID); err != nil {
		t.Fatal(err)
	}
	err = f.cache.Put(context.Background(), sessionsport.CachedSession{
		ID: stale.ID(), User: stale.User(), Hash: stale.TokenHash(), CreatedAt: stale.CreatedAt(),
		LastSeenAt: stale.LastSeenAt(), ExpiresAt: stale.ExpiresAt(), AbsoluteExpiresAt: stale.AbsoluteExpiresAt(),
		SyncedAt: f.clock.Now(),
	}, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	f.refused(t, b.Token)
}
