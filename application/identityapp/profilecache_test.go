package identityapp_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/secuird/authy/adapters/memstore/identitymem"
	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/identitypg"
	"github.com/secuird/authy/application/identityapp"
	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/mail"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/sessionsport"
	"github.com/secuird/authy/tests/testenv"
)

// userReads counts the statements that read the users table.
type userReads struct {
	mu sync.Mutex
	n  int
}

func (r *userReads) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// watchedCache is a profile cache that records how it is called: whether
// a transaction was open (a row lock held) and which users it invalidated.
// before, when set, runs before the next Fill (a change committing between
// a reader's database read and its fill).
type watchedCache struct {
	identityport.ProfileCache
	db *pgstore.DB

	mu          sync.Mutex
	inTx        []string
	invalidated []shared.UserID
	before      func()
}

func (w *watchedCache) saw(ctx context.Context, op string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.db.InTx(ctx) {
		w.inTx = append(w.inTx, op)
	}
}

func (w *watchedCache) Get(ctx context.Context, id shared.UserID, now time.Time) (identityport.UserView, identityport.ProfileLookup, error) {
	w.saw(ctx, "get")
	return w.ProfileCache.Get(ctx, id, now)
}

func (w *watchedCache) Fill(ctx context.Context, v identityport.UserView, now time.Time) error {
	w.saw(ctx, "fill")
	w.mu.Lock()
	hook := w.before
	w.before = nil
	w.mu.Unlock()
	if hook != nil {
		hook()
	}
	return w.ProfileCache.Fill(ctx, v, now)
}

func (w *watchedCache) Invalidate(ctx context.Context, id shared.UserID, now time.Time) error {
	w.saw(ctx, "invalidate")
	w.mu.Lock()
	w.invalidated = append(w.invalidated, id)
	w.mu.Unlock()
	return w.ProfileCache.Invalidate(ctx, id, now)
}

func (w *watchedCache) invalidations() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.invalidated)
}

func (w *watchedCache) callsInTx() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.inTx...)
}

// failingProfiles is a profile cache that does not answer.
type failingProfiles struct {
	mu    sync.Mutex
	calls int
}

var errProfilesDown = errors.New("profile cache down")

func (f *failingProfiles) call() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return errProfilesDown
}

func (f *failingProfiles) Get(context.Context, shared.UserID, time.Time) (identityport.UserView, identityport.ProfileLookup, error) {
	return identityport.UserView{}, identityport.ProfileMiss, f.call()
}
func (f *failingProfiles) Fill(context.Context, identityport.UserView, time.Time) error {
	return f.call()
}
func (f *failingProfiles) Invalidate(context.Context, shared.UserID, time.Time) error {
	return f.call()
}
func (f *failingProfiles) TTL() time.Duration { return time.Minute }

func (f *failingProfiles) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// cachedPair is two service instances on one SQLite database, each with
// its own caching user store over one shared profile cache, as two servers
// share PostgreSQL and Redis.
type cachedPair struct {
	*fixture
	db     *pgstore.DB
	store  *identitypg.Store
	reads  *userReads
	cache  *watchedCache
	second *identityapp.Service
	p      sessionsport.Principal
}

func newCachedPair(t *testing.T, profiles identityport.ProfileCache) *cachedPair {
	t.Helper()
	db := testenv.SQLite(t)
	c := &cachedPair{db: db, store: identitypg.New(db), reads: &userReads{}, cache: &watchedCache{ProfileCache: profiles, db: db}}
	if err := db.Gorm().Callback().Query().After("*").Register("test:count_user_reads", func(tx *gorm.DB) {
		if tx.Statement.Table == "users" {
			c.reads.mu.Lock()
			c.reads.n++
			c.reads.mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	instance := func(d *identityapp.Deps) {
		cached, err := identitypg.NewCached(c.store, c.cache, d.Clock, log)
		if err != nil {
			t.Fatal(err)
		}
		d.Users, d.Tokens = cached, cached.Tokens()
	}
	var deps identityapp.Deps
	c.fixture = newFixtureOn(t, db, instance, func(d *identityapp.Deps) { deps = *d })
	instance(&deps)
	second, err := identityapp.New(deps)
	if err != nil {
		t.Fatal(err)
	}
	c.second = second
	c.register(t, "cached@example.com", "UserPass123!")
	c.p = principal(c.login(t, "cached@example.com", "UserPass123!"))
	return c
}

func me(t *testing.T, svc *identityapp.Service, p sessionsport.Principal) identityport.UserView {
	t.Helper()
	v, err := svc.Me(context.Background(), p)
	if err != nil {
		t.Fatalf("Me: %v", err)
	}
	return v
}

func TestMe_ServesTheCachedViewWithoutReadingTheDatabase(t *testing.T) {
	c := newCachedPair(t, identitymem.NewProfileCache(time.Minute))
	first := me(t, c.svc, c.p)
	reads := c.reads.count()
	for _, svc := range []*identityapp.Service{c.svc, c.second, c.svc} {
		if v := me(t, svc, c.p); v != first {
			t.Fatalf("cached view %+v differs from %+v", v, first)
		}
	}
	if n := c.reads.count(); n != reads {
		t.Fatalf("%d reads of users after the cache was filled, want none", n-reads)
	}
}

func TestMe_ShowsAProfileChangeAtOnceOnEveryInstance(t *testing.T) {
	c := newCachedPair(t, identitymem.NewProfileCache(time.Minute))
	me(t, c.svc, c.p)
	me(t, c.second, c.p)
	name := "Renamed Person"
	if _, err := c.svc.UpdateProfile(context.Background(), c.p, identityport.UpdateProfileCommand{Name: &name}); err != nil {
		t.Fatal(err)
	}
	for i, svc := range []*identityapp.Service{c.second, c.svc, c.second} {
		if v := me(t, svc, c.p); v.Name != name {
			t.Fatalf("read %d after the change: name %q, want %q", i, v.Name, name)
		}
	}
}

func TestMe_ShowsAPasswordChangesNewUpdatedAtAtOnce(t *testing.T) {
	c := newCachedPair(t, identitymem.NewProfileCache(time.Minute))
	before := me(t, c.second, c.p)
	c.now = c.now.Add(time.Minute / 2)
	if _, err := c.svc.ChangePassword(context.Background(), c.p, identityport.ChangePasswordCommand{
		CurrentPassword: "UserPass123!", NewPassword: "Another pass phrase 9",
	}); err != nil {
		t.Fatal(err)
	}
	if v := me(t, c.second, c.p); !v.UpdatedAt.After(before.UpdatedAt) {
		t.Fatalf("updated_at %v, want after %v", v.UpdatedAt, before.UpdatedAt)
	}
}

func TestMe_OfADeletedAccountIsNotFoundEvenWhenItWasCached(t *testing.T) {
	c := newCachedPair(t, identitymem.NewProfileCache(time.Minute))
	me(t, c.svc, c.p)
	me(t, c.second, c.p)
	if err := c.svc.DeleteAccount(context.Background(), c.p, identityport.DeleteAccountCommand{CurrentPassword: "UserPass123!"}); err != nil {
		t.Fatal(err)
	}
	for _, svc := range []*identityapp.Service{c.second, c.svc} {
		if _, err := svc.Me(context.Background(), c.p); !errors.Is(err, identity.ErrUserNotFound) {
			t.Fatalf("Me of a deleted account: %v", err)
		}
	}
}

func TestMe_AReadTakenBeforeAChangeCommittedIsNotCached(t *testing.T) {
	c := newCachedPair(t, identitymem.NewProfileCache(time.Minute))
	name := "Changed Mid Read"
	c.cache.mu.Lock()
	c.cache.before = func() {
		if _, err := c.svc.UpdateProfile(context.Background(), c.p, identityport.UpdateProfileCommand{Name: &name}); err != nil {
			t.Error(err)
		}
	}
	c.cache.mu.Unlock()
	if v := me(t, c.second, c.p); v.Name == name {
		t.Fatal("the reader was meant to see the view from before the change")
	}
	for _, svc := range []*identityapp.Service{c.second, c.svc} {
		if v := me(t, svc, c.p); v.Name != name {
			t.Fatalf("name %q after the change committed, want %q", v.Name, name)
		}
	}
}

func TestMe_ACacheThatFailsIsBypassedForItsTTL(t *testing.T) {
	profiles := &failingProfiles{}
	c := newCachedPair(t, profiles)
	calls := profiles.count()
	if v := me(t, c.svc, c.p); v.Email != "cached@example.com" {
		t.Fatalf("Me = %+v", v)
	}
	if profiles.count() != calls+1 {
		t.Fatalf("cache calls = %d, want one failed Get", profiles.count()-calls)
	}
	me(t, c.svc, c.p)
	c.now = c.now.Add(time.Minute - time.Second)
	me(t, c.svc, c.p)
	if profiles.count() != calls+1 {
		t.Fatal("a failed cache must not be read again within its TTL")
	}
	c.now = c.now.Add(2 * time.Second)
	me(t, c.svc, c.p)
	if profiles.count() != calls+2 {
		t.Fatal("the cache must be read again once its TTL has passed")
	}
}

func TestUpdateProfile_SucceedsWhenTheProfileCacheIsDown(t *testing.T) {
	profiles := &failingProfiles{}
	c := newCachedPair(t, profiles)
	name := "Still Saved"
	v, err := c.svc.UpdateProfile(context.Background(), c.p, identityport.UpdateProfileCommand{Name: &name})
	if err != nil || v.User.Name != name {
		t.Fatalf("UpdateProfile = %+v, %v", v, err)
	}
	if got := me(t, c.second, c.p); got.Name != name {
		t.Fatalf("name %q, want %q", got.Name, name)
	}
}

func TestLogin_AHashUpgradeInvalidatesTheCachedView(t *testing.T) {
	c := newCachedPair(t, identitymem.NewProfileCache(time.Minute))
	email := mustEmail(t, "legacy-cached@example.com")
	name, _ := identity.ParseName("Legacy")
	u, err := identity.NewUser(shared.UserID(uuid.New()), email, name, identity.PasswordHashFromEncoded("legacy$"+digest("OldPass 2019")), t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.store.Add(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	stale := sessionsport.Principal{UserID: u.ID(), SessionID: uuid.New()}
	if v := me(t, c.second, stale); !v.UpdatedAt.Equal(t0) {
		t.Fatalf("updated_at %v before the upgrade", v.UpdatedAt)
	}
	c.now = c.now.Add(time.Minute / 2)
	res := c.login(t, "legacy-cached@example.com", "OldPass 2019")
	if v := me(t, c.second, principal(res)); !v.UpdatedAt.Equal(res.User.UpdatedAt) || !v.UpdatedAt.After(t0) {
		t.Fatalf("updated_at %v after the upgrade, want %v", v.UpdatedAt, res.User.UpdatedAt)
	}
}

func TestLogin_WithoutAChangeLeavesTheCachedViewInPlace(t *testing.T) {
	c := newCachedPair(t, identitymem.NewProfileCache(time.Minute))
	me(t, c.svc, c.p)
	before := c.cache.invalidations()
	c.login(t, "cached@example.com", "UserPass123!")
	if n := c.cache.invalidations() - before; n != 0 {
		t.Fatalf("a login that changed nothing Me shows invalidated the view %d times", n)
	}
	reads := c.reads.count()
	me(t, c.second, c.p)
	if c.reads.count() != reads {
		t.Fatal("the view was read from the database again")
	}
}

// Every use case that changes what Me shows goes through the caching
// store, which calls the cache only after the commit: never while the
// user's row is locked.
func TestUseCases_CallTheProfileCacheOnlyOutsideTransactions(t *testing.T) {
	c := newCachedPair(t, identitymem.NewProfileCache(time.Minute))
	ctx := context.Background()
	me(t, c.svc, c.p)
	name := "Renamed In A Unit"
	if _, err := c.svc.UpdateProfile(ctx, c.p, identityport.UpdateProfileCommand{Name: &name}); err != nil {
		t.Fatal(err)
	}
	me(t, c.second, c.p)
	c.now = c.now.Add(time.Second)
	if _, err := c.svc.ChangePassword(ctx, c.p, identityport.ChangePasswordCommand{
		CurrentPassword: "UserPass123!", NewPassword: "Another pass phrase 9",
	}); err != nil {
		t.Fatal(err)
	}
	me(t, c.second, c.p)
	if _, err := c.svc.VerifyEmail(ctx, identityport.VerifyEmailCommand{Token: c.mail.token(t, "cached@example.com", mail.TemplateEmailVerification)}); err != nil {
		t.Fatal(err)
	}
	if v := me(t, c.second, c.p); !v.EmailVerified {
		t.Fatalf("verified email not shown: %+v", v)
	}
	c.now = c.now.Add(time.Second)
	if err := c.svc.DeleteAccount(ctx, c.p, identityport.DeleteAccountCommand{CurrentPassword: "Another pass phrase 9"}); err != nil {
		t.Fatal(err)
	}
	if n := c.cache.invalidations(); n != 4 {
		t.Fatalf("%d invalidations, want one per change (name, password, verification, deletion)", n)
	}
	if calls := c.cache.callsInTx(); len(calls) != 0 {
		t.Fatalf("profile cache called inside a transaction: %v", calls)
	}
}
