package identityporttest

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
)

// ProfileCacheFixture is a fresh, empty profile cache under test.
type ProfileCacheFixture struct {
	Cache identityport.ProfileCache
	// Advance moves the clock the cache expires entries and holds by, when
	// it keeps its own (Redis key TTLs): the suite also passes a later now.
	// Adapters that read only the now they are given leave it nil. Set
	// RealTime instead when the cache's clock cannot be moved.
	Advance func(d time.Duration)
	// RealTime skips the subtests that need time to pass.
	RealTime bool
}

// ProfileCacheFactory returns a fresh fixture.
type ProfileCacheFactory func(t *testing.T) ProfileCacheFixture

// RunProfileCache runs the identityport.ProfileCache contract.
func RunProfileCache(t *testing.T, newCache ProfileCacheFactory) {
	t.Helper()
	tests := []struct {
		name     string
		needTime bool
		run      func(*testing.T, ProfileCacheFixture)
	}{
		{"UnknownUserMisses", false, testProfileUnknownMisses},
		{"FilledViewIsAHitWithEveryField", false, testProfileFillHit},
		{"FillNeverReplacesAHeldEntry", false, testProfileFillKeepsEntry},
		{"UsersAreIndependent", false, testProfileIndependent},
		{"InvalidateRemovesTheEntryAndRefusesFills", false, testProfileInvalidate},
		{"FillFromAReadBeforeAnInvalidateIsRefused", false, testProfileStaleFill},
		{"InvalidateIsIdempotent", false, testProfileInvalidateTwice},
		{"EntriesExpireAfterTheTTL", true, testProfileEntryExpires},
		{"HoldEndsAfterTheTTLAndFillsResume", true, testProfileHoldEnds},
		{"ALaterInvalidateRestartsTheHold", true, testProfileHoldRestarts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newCache(t)
			if tt.needTime && fx.RealTime {
				t.Skip("the cache keeps real time; the in-process and miniredis runs cover expiry")
			}
			tt.run(t, fx)
		})
	}
}

func profileView(name string) identityport.UserView {
	id := shared.UserID(uuid.New())
	return identityport.UserView{
		ID: id, Email: name + "-" + id.String()[:8] + "@example.test", Name: "Name | with a bar " + name,
		CreatedAt: t0.Add(-time.Hour), UpdatedAt: t0.Add(-time.Minute + 123*time.Microsecond),
	}
}

func mustLookup(t *testing.T, c identityport.ProfileCache, id shared.UserID, now time.Time) (identityport.UserView, identityport.ProfileLookup) {
	t.Helper()
	v, l, err := c.Get(context.Background(), id, now)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return v, l
}

func mustFill(t *testing.T, c identityport.ProfileCache, v identityport.UserView, now time.Time) {
	t.Helper()
	if err := c.Fill(context.Background(), v, now); err != nil {
		t.Fatalf("Fill: %v", err)
	}
}

func mustInvalidate(t *testing.T, c identityport.ProfileCache, id shared.UserID, now time.Time) {
	t.Helper()
	if err := c.Invalidate(context.Background(), id, now); err != nil {
		t.Fatalf("Invalidate: %v", err)
	}
}

func wantLookup(t *testing.T, c identityport.ProfileCache, id shared.UserID, now time.Time, want identityport.ProfileLookup) identityport.UserView {
	t.Helper()
	v, l := mustLookup(t, c, id, now)
	if l != want {
		t.Fatalf("lookup = %d, want %d", l, want)
	}
	return v
}

func wantView(t *testing.T, got, want identityport.UserView) {
	t.Helper()
	if got.ID != want.ID || got.Email != want.Email || got.Name != want.Name ||
		got.EmailVerified != want.EmailVerified || !got.EmailVerifiedAt.Equal(want.EmailVerifiedAt) ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Fatalf("view = %+v, want %+v", got, want)
	}
}

// later moves both the suite's now and the cache's own clock.
func later(fx ProfileCacheFixture, now time.Time, d time.Duration) time.Time {
	if fx.Advance != nil {
		fx.Advance(d)
	}
	return now.Add(d)
}

func testProfileUnknownMisses(t *testing.T, fx ProfileCacheFixture) {
	wantLookup(t, fx.Cache, shared.UserID(uuid.New()), t0, identityport.ProfileMiss)
}

func testProfileFillHit(t *testing.T, fx ProfileCacheFixture) {
	v := profileView("hit")
	mustFill(t, fx.Cache, v, t0)
	wantView(t, wantLookup(t, fx.Cache, v.ID, t0.Add(time.Second), identityport.ProfileHit), v)
	verified := profileView("verified")
	verified.EmailVerified, verified.EmailVerifiedAt = true, t0.Add(-30*time.Minute+7*time.Microsecond)
	mustFill(t, fx.Cache, verified, t0)
	wantView(t, wantLookup(t, fx.Cache, verified.ID, t0.Add(time.Second), identityport.ProfileHit), verified)
}

func testProfileFillKeepsEntry(t *testing.T, fx ProfileCacheFixture) {
	v := profileView("first")
	mustFill(t, fx.Cache, v, t0)
	other := v
	other.Name = "second"
	mustFill(t, fx.Cache, other, t0)
	wantView(t, wantLookup(t, fx.Cache, v.ID, t0, identityport.ProfileHit), v)
}

func testProfileIndependent(t *testing.T, fx ProfileCacheFixture) {
	a, b := profileView("a"), profileView("b")
	mustFill(t, fx.Cache, a, t0)
	mustFill(t, fx.Cache, b, t0)
	mustInvalidate(t, fx.Cache, a.ID, t0)
	wantLookup(t, fx.Cache, a.ID, t0, identityport.ProfileChanging)
	wantView(t, wantLookup(t, fx.Cache, b.ID, t0, identityport.ProfileHit), b)
}

func testProfileInvalidate(t *testing.T, fx ProfileCacheFixture) {
	v := profileView("old")
	mustFill(t, fx.Cache, v, t0)
	mustInvalidate(t, fx.Cache, v.ID, t0)
	wantLookup(t, fx.Cache, v.ID, t0, identityport.ProfileChanging)
	changed := v
	changed.Name = "new"
	mustFill(t, fx.Cache, changed, t0)
	wantLookup(t, fx.Cache, v.ID, t0, identityport.ProfileChanging)
}

// testProfileStaleFill is the race the hold exists for: a reader misses,
// reads the old view, a change invalidates and commits, then the reader
// fills. The old view must not be served.
func testProfileStaleFill(t *testing.T, fx ProfileCacheFixture) {
	v := profileView("stale")
	wantLookup(t, fx.Cache, v.ID, t0, identityport.ProfileMiss)
	mustInvalidate(t, fx.Cache, v.ID, t0)
	mustFill(t, fx.Cache, v, t0)
	wantLookup(t, fx.Cache, v.ID, t0, identityport.ProfileChanging)
}

func testProfileInvalidateTwice(t *testing.T, fx ProfileCacheFixture) {
	v := profileView("twice")
	mustFill(t, fx.Cache, v, t0)
	mustInvalidate(t, fx.Cache, v.ID, t0)
	mustInvalidate(t, fx.Cache, v.ID, t0)
	wantLookup(t, fx.Cache, v.ID, t0, identityport.ProfileChanging)
}

func testProfileEntryExpires(t *testing.T, fx ProfileCacheFixture) {
	v := profileView("expires")
	mustFill(t, fx.Cache, v, t0)
	now := later(fx, t0, fx.Cache.TTL()+time.Second)
	wantLookup(t, fx.Cache, v.ID, now, identityport.ProfileMiss)
}

func testProfileHoldEnds(t *testing.T, fx ProfileCacheFixture) {
	v := profileView("held")
	mustInvalidate(t, fx.Cache, v.ID, t0)
	now := later(fx, t0, fx.Cache.TTL()/2)
	mustFill(t, fx.Cache, v, now)
	wantLookup(t, fx.Cache, v.ID, now, identityport.ProfileChanging)
	now = later(fx, now, fx.Cache.TTL()/2+time.Second)
	wantLookup(t, fx.Cache, v.ID, now, identityport.ProfileMiss)
	mustFill(t, fx.Cache, v, now)
	wantView(t, wantLookup(t, fx.Cache, v.ID, now, identityport.ProfileHit), v)
}

func testProfileHoldRestarts(t *testing.T, fx ProfileCacheFixture) {
	v := profileView("restart")
	mustInvalidate(t, fx.Cache, v.ID, t0)
	now := later(fx, t0, fx.Cache.TTL()*3/4)
	mustInvalidate(t, fx.Cache, v.ID, now)
	now = later(fx, now, fx.Cache.TTL()/2)
	wantLookup(t, fx.Cache, v.ID, now, identityport.ProfileChanging)
}
