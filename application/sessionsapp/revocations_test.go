package sessionsapp_test

import (
	"context"
	"testing"
	"time"

	"github.com/secuird/authy/application/sessionsapp"
	"github.com/secuird/authy/ports/sessionsport"
)

const poll = 200 * time.Millisecond

func polling(d *sessionsapp.Deps) { d.RevocationPoll = poll }

// twoInstances returns the fixture (instance A, whose view of the shared
// cache the test can cut) and instance B on the same store and cache.
func twoInstances(t *testing.T) (*fixture, *sessionsapp.Service) {
	t.Helper()
	f := newFixture(t, polling)
	shared := &flakyCache{}
	shared.inner.Store(f.cache.inner.Load())
	b := f.instance(t, shared, polling)
	for _, svc := range []*sessionsapp.Service{f.svc, b} {
		if err := svc.PollRevocations(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return f, b
}

func TestPollRevocations_AnotherInstanceRefusesATokenWhosePurgeTheRevokingInstanceCouldNotApply(t *testing.T) {
	f, b := twoInstances(t)
	user := f.newUser(t)
	kept, victim := f.start(t, user), f.start(t, user)
	p := f.auth(t, kept.Token)
	if _, err := b.Authenticate(context.Background(), victim.Token); err != nil {
		t.Fatal(err)
	}

	// A cannot reach the cache: the revocation commits with its purge left
	// in the outbox, and B's cache still holds the session.
	f.cache.down.Store(true)
	if err := f.svc.Revoke(context.Background(), p, victim.Session.ID); err != nil {
		t.Fatal(err)
	}
	if _, state, _ := f.cache.inner.Load().Get(context.Background(), f.tokens.Hash(victim.Token)); state != sessionsport.CacheHit {
		t.Fatalf("set-up: the shared cache must still hold the revoked session, state %v", state)
	}
	// Until B polls it accepts the entry: that is the window the bound states.
	if _, err := b.Authenticate(context.Background(), victim.Token); err != nil {
		t.Fatalf("before its poll B serves the cached entry: %v", err)
	}
	before := b.RevocationPolls()
	if err := b.PollRevocations(context.Background()); err != nil {
		t.Fatal(err)
	}
	if b.RevocationPolls() != before+1 {
		t.Fatal("a poll must be counted")
	}
	reads := f.reads.byHash.Load()
	if _, err := b.Authenticate(context.Background(), victim.Token); err == nil {
		t.Fatal("B accepted a token whose revocation is pending in the store")
	}
	if _, err := b.Authenticate(context.Background(), kept.Token); err != nil {
		t.Fatalf("a valid session on B: %v", err)
	}
	if n := f.reads.byHash.Load() - reads; n != 0 {
		t.Fatalf("authenticating on B read the store %d times; the deny set is in memory", n)
	}

	// Once the purge is applied (B's reconciler) the outbox is empty, the
	// next poll forgets the hash and the tombstone refuses it.
	if err := b.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := b.PollRevocations(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Authenticate(context.Background(), victim.Token); err == nil {
		t.Fatal("the tombstone must refuse the token once the purge is applied")
	}
}

func TestPollRevocations_WhileTheDenySetIsOlderThanTheBoundCachedSessionsAreConfirmedWithTheStore(t *testing.T) {
	f, b := twoInstances(t)
	user := f.newUser(t)
	kept, victim := f.start(t, user), f.start(t, user)
	p := f.auth(t, kept.Token)
	f.auth(t, victim.Token)
	f.cache.down.Store(true)
	if err := f.svc.Revoke(context.Background(), p, victim.Session.ID); err != nil {
		t.Fatal(err)
	}

	// No poll for longer than the bound (the database is slow or B cannot
	// reach it): B no longer relies on its deny set.
	f.clock.Advance(b.RevocationBound() + time.Millisecond)
	reads := f.reads.byHash.Load()
	if _, err := b.Authenticate(context.Background(), victim.Token); err == nil {
		t.Fatal("a stale deny set let a revoked session through")
	}
	if _, err := b.Authenticate(context.Background(), kept.Token); err != nil {
		t.Fatalf("a valid session is confirmed and served: %v", err)
	}
	if n := f.reads.byHash.Load() - reads; n != 2 {
		t.Fatalf("%d store reads for two requests with a stale deny set, want 2", n)
	}
	// The refused entry was purged from the cache on the way.
	if _, state, _ := f.cache.inner.Load().Get(context.Background(), f.tokens.Hash(victim.Token)); state != sessionsport.CacheRevoked {
		t.Fatalf("the stale entry must be purged when the store refuses it, state %v", state)
	}

	if err := b.PollRevocations(context.Background()); err != nil {
		t.Fatal(err)
	}
	reads = f.reads.byHash.Load()
	if _, err := b.Authenticate(context.Background(), kept.Token); err != nil {
		t.Fatal(err)
	}
	if n := f.reads.byHash.Load() - reads; n != 0 {
		t.Fatalf("with a current deny set a valid request read the store %d times", n)
	}
}

func TestPollRevocations_AnInstanceThatNeverPolledConfirmsWithTheStore(t *testing.T) {
	f := newFixture(t, polling)
	is := f.start(t, f.newUser(t))
	reads := f.reads.byHash.Load()
	f.auth(t, is.Token)
	if f.reads.byHash.Load() == reads {
		t.Fatal("without a first poll the cache must not be relied on alone")
	}
}

func TestPollRevocations_WithoutPollingTheCacheAloneAnswers(t *testing.T) {
	f := newFixture(t)
	is := f.start(t, f.newUser(t))
	reads, pending := f.reads.byHash.Load(), f.reads.pending.Load()
	f.clock.Advance(time.Minute)
	f.auth(t, is.Token)
	if f.reads.byHash.Load() != reads || f.reads.pending.Load() != pending {
		t.Fatal("the embedded instance must authenticate from its cache alone")
	}
	if f.svc.RevocationBound() != 0 {
		t.Fatalf("bound %s without polling", f.svc.RevocationBound())
	}
}

func TestRunRevocationPoller_PollsUntilItsContextEnds(t *testing.T) {
	f := newFixture(t, func(d *sessionsapp.Deps) { d.RevocationPoll = time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.svc.RunRevocationPoller(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for f.svc.RevocationPolls() < 3 {
		if time.Now().After(deadline) {
			t.Fatal("the poller did not poll")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
