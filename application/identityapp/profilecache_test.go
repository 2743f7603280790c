package identityapp_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/memstore/identitymem"
	"github.com/secuird/authy/application/identityapp"
	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/sessionsport"
)

// countingUsers counts repository reads of single users and can run a
// hook between reading a user and returning it (a change committing while
// a reader is in flight).
type countingUsers struct {
	identityport.UserRepository
	mu    sync.Mutex
	gets  int
	after func()
}

func (c *countingUsers) Get(ctx context.Context, id shared.UserID) (*identity.User, error) {
	u, err := c.UserRepository.Get(ctx, id)
	c.mu.Lock()
	c.gets++
	hook := c.after
	c.after = nil
	c.mu.Unlock()
	if hook != nil {
		hook()
	}
	return u, err
}

func (c *countingUsers) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gets
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

// cachedPair is two service instances sharing one repository and one
// profile cache, as two servers share PostgreSQL and Redis.
type cachedPair struct {
	*fixture
	users  *countingUsers
	second *identityapp.Service
	p      sessionsport.Principal
}

func newCachedPair(t *testing.T, profiles identityport.ProfileCache) *cachedPair {
	t.Helper()
	var users *countingUsers
	var deps identityapp.Deps
	f := newFixture(t, func(d *identityapp.Deps) {
		users = &countingUsers{UserRepository: d.Users}
		d.Users = users
		d.Profiles = profiles
		deps = *d
	})
	second, err := identityapp.New(deps)
	if err != nil {
		t.Fatal(err)
	}
	f.register(t, "cached@example.com", "UserPass123!")
	res := f.login(t, "cached@example.com", "UserPass123!")
	return &cachedPair{fixture: f, users: users, second: second, p: principal(res)}
}

func me(t *testing.T, svc *identityapp.Service, p sessionsport.Principal) identityport.UserView {
	t.Helper()
	v, err := svc.Me(context.Background(), p)
	if err != nil {
		t.Fatalf("Me: %v", err)
	}
	return v
}

func TestMe_ServesTheCachedViewWithoutReadingTheRepository(t *testing.T) {
	c := newCachedPair(t, identitymem.NewProfileCache(time.Minute))
	first := me(t, c.svc, c.p)
	reads := c.users.count()
	for _, svc := range []*identityapp.Service{c.svc, c.second, c.svc} {
		if v := me(t, svc, c.p); v != first {
			t.Fatalf("cached view %+v differs from %+v", v, first)
		}
	}
	if n := c.users.count(); n != reads {
		t.Fatalf("%d repository reads after the cache was filled, want none", n-reads)
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
	c.users.mu.Lock()
	c.users.after = func() {
		if _, err := c.svc.UpdateProfile(context.Background(), c.p, identityport.UpdateProfileCommand{Name: &name}); err != nil {
			t.Error(err)
		}
	}
	c.users.mu.Unlock()
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
	profiles := identitymem.NewProfileCache(time.Minute)
	f := newFixture(t, func(d *identityapp.Deps) { d.Profiles = profiles })
	email := mustEmail(t, "legacy-cached@example.com")
	name, _ := identity.ParseName("Legacy")
	u, err := identity.NewUser(shared.UserID(uuid.New()), email, name, identity.PasswordHashFromEncoded("legacy$"+digest("OldPass 2019")), t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.Add(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	if err := profiles.Fill(context.Background(), identityport.UserView{ID: u.ID(), Email: email.String(), Name: "Legacy", CreatedAt: t0, UpdatedAt: t0}, f.now); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(time.Minute / 2)
	res := f.login(t, "legacy-cached@example.com", "OldPass 2019")
	if v := me(t, f.svc, principal(res)); !v.UpdatedAt.Equal(res.User.UpdatedAt) || !v.UpdatedAt.After(t0) {
		t.Fatalf("updated_at %v after the upgrade, want %v", v.UpdatedAt, res.User.UpdatedAt)
	}
}
