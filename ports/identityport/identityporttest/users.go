// Package identityporttest is the executable contract of identityport's
// out.go: every UserRepository with the unit of work it joins (GORM on
// SQLite in unit tests, on PostgreSQL in the integration run) must pass
// RunUserRepository, every TokenRepository RunTokenRepository, every
// ProfileCache RunProfileCache. It also holds Directory, a fake of the
// identity directory for other contexts' tests. It imports only the testing
// package, the identity domain and ports.
package identityporttest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/platformport"
)

// Factory returns a fresh, empty store: its repository and unit of work.
type Factory func(t *testing.T) (identityport.UserRepository, platformport.UnitOfWork)

var (
	t0      = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	hashA   = identity.PasswordHashFromEncoded("$argon2id$v=19$m=19456,t=2,p=1$c2FsdEE$a2V5QQ")
	hashB   = identity.PasswordHashFromEncoded("$argon2id$v=19$m=19456,t=2,p=1$c2FsdEI$a2V5Qg")
	errStop = errors.New("closure failed on purpose")
)

// RunUserRepository runs the whole contract against stores made by newStore.
func RunUserRepository(t *testing.T, newStore Factory) {
	t.Helper()
	tests := []struct {
		name string
		run  func(*testing.T, Factory)
	}{
		{"UnknownUserIsNotFound", testNotFound},
		{"AddedUserIsFoundByIDAndByEmailIgnoringCase", testAddAndFind},
		{"EmailIsUniqueIgnoringCase", testEmailUnique},
		{"UpdateSavesWhatTheClosureChanged", testUpdateSaves},
		{"UpdateToATakenEmailIsRefused", testUpdateEmailTaken},
		{"ClosureErrorLeavesTheUserUnchanged", testUpdateRollback},
		{"UnitOfWorkRollsBackEverythingWhenTheClosureFails", testUnitOfWorkRollback},
		{"UnitOfWorkCommitsEverythingTogether", testUnitOfWorkCommit},
		{"DeletedUserIsGoneAndFreesTheEmail", testDeleted},
		{"GetManyReturnsOnlyLiveRequestedUsers", testGetMany},
		{"ConcurrentUpdatesRunOneAfterTheOther", testConcurrentUpdate},
		{"ConcurrentRegistrationsOfOneEmailExactlyOneWins", testConcurrentAdd},
		{"ConcurrentEmailChangesToOneAddressExactlyOneWins", testConcurrentEmailChange},
		{"AUserWithoutAPasswordIsStoredAndGetsOneLater", testPasswordless},
		{"EmailVerificationIsSavedAndFollowsTheAddress", testEmailVerified},
		{"ProfileShowsTheLiveUserAsLastCommitted", testProfile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, newStore) })
	}
}

func newUser(t *testing.T, email, name string) *identity.User {
	t.Helper()
	e, reason := identity.ParseEmail(email)
	if reason != "" {
		t.Fatalf("email %q: %s", email, reason)
	}
	n, reason := identity.ParseName(name)
	if reason != "" {
		t.Fatalf("name %q: %s", name, reason)
	}
	u, err := identity.NewUser(shared.UserID(uuid.New()), e, n, hashA, t0)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func email(t *testing.T, s string) identity.Email {
	t.Helper()
	e, reason := identity.ParseEmail(s)
	if reason != "" {
		t.Fatalf("email %q: %s", s, reason)
	}
	return e
}

func unique(prefix string) string {
	return fmt.Sprintf("%s-%s@example.com", prefix, strings.ReplaceAll(uuid.NewString()[:13], "-", ""))
}

func add(t *testing.T, repo identityport.UserRepository, u *identity.User) {
	t.Helper()
	if err := repo.Add(context.Background(), u); err != nil {
		t.Fatalf("Add: %v", err)
	}
}

func sameUser(t *testing.T, got, want *identity.User) {
	t.Helper()
	if got.ID() != want.ID() || got.Email().String() != want.Email().String() ||
		got.Name().String() != want.Name().String() || !got.PasswordHash().Equal(want.PasswordHash()) ||
		got.HasPassword() != want.HasPassword() || !got.EmailVerifiedAt().Equal(want.EmailVerifiedAt()) ||
		!got.CreatedAt().Equal(want.CreatedAt()) || !got.UpdatedAt().Equal(want.UpdatedAt()) ||
		got.Deleted() != want.Deleted() {
		t.Fatalf("stored user differs:\n got  %s %s %s password=%v verified=%v created=%v updated=%v deleted=%v\n want %s %s %s password=%v verified=%v created=%v updated=%v deleted=%v",
			got.ID(), got.Email(), got.Name(), got.HasPassword(), got.EmailVerifiedAt(), got.CreatedAt(), got.UpdatedAt(), got.Deleted(),
			want.ID(), want.Email(), want.Name(), want.HasPassword(), want.EmailVerifiedAt(), want.CreatedAt(), want.UpdatedAt(), want.Deleted())
	}
}

func testNotFound(t *testing.T, newStore Factory) {
	repo, _ := newStore(t)
	ctx := context.Background()
	id := shared.UserID(uuid.New())
	if _, err := repo.Get(ctx, id); !errors.Is(err, identity.ErrUserNotFound) {
		t.Fatalf("Get: want ErrUserNotFound, got %v", err)
	}
	if _, err := repo.FindByEmail(ctx, email(t, unique("nobody"))); !errors.Is(err, identity.ErrUserNotFound) {
		t.Fatalf("FindByEmail: want ErrUserNotFound, got %v", err)
	}
	called := false
	if _, err := repo.Update(ctx, id, func(*identity.User) error { called = true; return nil }); !errors.Is(err, identity.ErrUserNotFound) {
		t.Fatalf("Update: want ErrUserNotFound, got %v", err)
	}
	if called {
		t.Fatal("Update ran the closure for an unknown user")
	}
	if shared.KindOf(identity.ErrUserNotFound) != shared.KindNotFound {
		t.Fatal("not-found must be of kind NotFound")
	}
}

func testAddAndFind(t *testing.T, newStore Factory) {
	repo, _ := newStore(t)
	ctx := context.Background()
	addr := unique("Mixed.Case")
	u := newUser(t, "  "+strings.ToUpper(addr[:1])+addr[1:]+" ", "Ada Lovelace")
	add(t, repo, u)
	got, err := repo.Get(ctx, u.ID())
	if err != nil {
		t.Fatal(err)
	}
	sameUser(t, got, u)
	if len(got.PullEvents()) != 0 {
		t.Fatal("a loaded user must carry no events")
	}
	for _, variant := range []string{addr, strings.ToUpper(addr), " " + strings.ToLower(addr) + "\t"} {
		got, err := repo.FindByEmail(ctx, email(t, variant))
		if err != nil {
			t.Fatalf("FindByEmail(%q): %v", variant, err)
		}
		sameUser(t, got, u)
	}
}

func testEmailUnique(t *testing.T, newStore Factory) {
	repo, _ := newStore(t)
	ctx := context.Background()
	addr := unique("dup")
	add(t, repo, newUser(t, addr, "First"))
	err := repo.Add(ctx, newUser(t, strings.ToUpper(addr), "Second"))
	if !errors.Is(err, identity.ErrEmailTaken) {
		t.Fatalf("want ErrEmailTaken for the same email in another case, got %v", err)
	}
	if shared.KindOf(err) != shared.KindConflict {
		t.Fatalf("kind = %v, want conflict", shared.KindOf(err))
	}
	add(t, repo, newUser(t, unique("other"), "Other"))
}

func testUpdateSaves(t *testing.T, newStore Factory) {
	repo, _ := newStore(t)
	ctx := context.Background()
	u := newUser(t, unique("upd"), "Before")
	add(t, repo, u)
	newEmail := email(t, unique("After"))
	name, _ := identity.ParseName("After")
	later := t0.Add(time.Hour)
	saved, err := repo.Update(ctx, u.ID(), func(x *identity.User) error {
		if _, err := x.UpdateProfile(identity.ProfileChange{Name: &name}, later); err != nil {
			return err
		}
		if err := x.ChangeEmail(newEmail, later); err != nil {
			return err
		}
		return x.ChangePassword(hashB, later)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(saved.PullEvents()) != 3 {
		t.Fatal("Update must return the aggregate with the closure's events")
	}
	got, err := repo.Get(ctx, u.ID())
	if err != nil {
		t.Fatal(err)
	}
	sameUser(t, got, saved)
	if got.Email().String() != newEmail.String() || !got.PasswordHash().Equal(hashB) || !got.UpdatedAt().Equal(later) || !got.EmailVerifiedAt().Equal(later) {
		t.Fatalf("update not saved: %s %v", got.Email(), got.UpdatedAt())
	}
	if _, err := repo.FindByEmail(ctx, u.Email()); !errors.Is(err, identity.ErrUserNotFound) {
		t.Fatalf("the old email must no longer find the user, got %v", err)
	}
	if _, err := repo.FindByEmail(ctx, newEmail); err != nil {
		t.Fatalf("the new email must find the user: %v", err)
	}
}

func testUpdateEmailTaken(t *testing.T, newStore Factory) {
	repo, _ := newStore(t)
	ctx := context.Background()
	a := newUser(t, unique("a"), "A")
	b := newUser(t, unique("b"), "B")
	add(t, repo, a)
	add(t, repo, b)
	taken := email(t, strings.ToUpper(a.Email().String()))
	_, err := repo.Update(ctx, b.ID(), func(x *identity.User) error {
		return x.ChangeEmail(taken, t0.Add(time.Minute))
	})
	if !errors.Is(err, identity.ErrEmailTaken) {
		t.Fatalf("want ErrEmailTaken, got %v", err)
	}
	got, err := repo.Get(ctx, b.ID())
	if err != nil {
		t.Fatal(err)
	}
	sameUser(t, got, b)
}

func testUpdateRollback(t *testing.T, newStore Factory) {
	repo, _ := newStore(t)
	ctx := context.Background()
	u := newUser(t, unique("rb"), "Unchanged")
	add(t, repo, u)
	name, _ := identity.ParseName("Changed")
	_, err := repo.Update(ctx, u.ID(), func(x *identity.User) error {
		if _, err := x.UpdateProfile(identity.ProfileChange{Name: &name}, t0.Add(time.Minute)); err != nil {
			return err
		}
		return errStop
	})
	if !errors.Is(err, errStop) {
		t.Fatalf("want the closure's error, got %v", err)
	}
	got, err := repo.Get(ctx, u.ID())
	if err != nil {
		t.Fatal(err)
	}
	sameUser(t, got, u)
}

func testUnitOfWorkRollback(t *testing.T, newStore Factory) {
	repo, uow := newStore(t)
	ctx := context.Background()
	existing := newUser(t, unique("uow"), "Existing")
	add(t, repo, existing)
	fresh := newUser(t, unique("fresh"), "Fresh")
	name, _ := identity.ParseName("Renamed")
	err := uow.Transaction(ctx, func(ctx context.Context) error {
		if err := repo.Add(ctx, fresh); err != nil {
			return err
		}
		if _, err := repo.Update(ctx, existing.ID(), func(x *identity.User) error {
			_, err := x.UpdateProfile(identity.ProfileChange{Name: &name}, t0.Add(time.Minute))
			return err
		}); err != nil {
			return err
		}
		// Reads inside the unit of work see its own writes.
		if _, err := repo.Get(ctx, fresh.ID()); err != nil {
			return fmt.Errorf("read own write: %w", err)
		}
		return errStop
	})
	if !errors.Is(err, errStop) {
		t.Fatalf("want the closure's error, got %v", err)
	}
	if _, err := repo.Get(ctx, fresh.ID()); !errors.Is(err, identity.ErrUserNotFound) {
		t.Fatalf("a user added in a rolled-back unit of work must not exist, got %v", err)
	}
	got, err := repo.Get(ctx, existing.ID())
	if err != nil {
		t.Fatal(err)
	}
	sameUser(t, got, existing)
}

func testUnitOfWorkCommit(t *testing.T, newStore Factory) {
	repo, uow := newStore(t)
	ctx := context.Background()
	a := newUser(t, unique("c1"), "One")
	b := newUser(t, unique("c2"), "Two")
	err := uow.Transaction(ctx, func(ctx context.Context) error {
		if err := repo.Add(ctx, a); err != nil {
			return err
		}
		// A nested unit of work joins the outer one.
		return uow.Transaction(ctx, func(ctx context.Context) error {
			return repo.Add(ctx, b)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []*identity.User{a, b} {
		if _, err := repo.Get(ctx, u.ID()); err != nil {
			t.Fatalf("committed user missing: %v", err)
		}
	}
}

func testDeleted(t *testing.T, newStore Factory) {
	repo, _ := newStore(t)
	ctx := context.Background()
	addr := unique("gone")
	u := newUser(t, addr, "Gone")
	add(t, repo, u)
	if _, err := repo.Update(ctx, u.ID(), func(x *identity.User) error { return x.Delete(t0.Add(time.Hour)) }); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Get(ctx, u.ID()); !errors.Is(err, identity.ErrUserNotFound) {
		t.Fatalf("Get of a deleted user: want ErrUserNotFound, got %v", err)
	}
	if _, err := repo.FindByEmail(ctx, u.Email()); !errors.Is(err, identity.ErrUserNotFound) {
		t.Fatalf("FindByEmail of a deleted user: want ErrUserNotFound, got %v", err)
	}
	if _, err := repo.Update(ctx, u.ID(), func(*identity.User) error { return nil }); !errors.Is(err, identity.ErrUserNotFound) {
		t.Fatalf("Update of a deleted user: want ErrUserNotFound, got %v", err)
	}
	again := newUser(t, strings.ToUpper(addr), "Back")
	add(t, repo, again)
	got, err := repo.FindByEmail(ctx, u.Email())
	if err != nil || got.ID() != again.ID() {
		t.Fatalf("the freed email must find the new account, got %v", err)
	}
}

func testGetMany(t *testing.T, newStore Factory) {
	repo, _ := newStore(t)
	ctx := context.Background()
	a := newUser(t, unique("m1"), "One")
	b := newUser(t, unique("m2"), "Two")
	c := newUser(t, unique("m3"), "Three")
	for _, u := range []*identity.User{a, b, c} {
		add(t, repo, u)
	}
	if _, err := repo.Update(ctx, c.ID(), func(x *identity.User) error { return x.Delete(t0.Add(time.Hour)) }); err != nil {
		t.Fatal(err)
	}
	got, err := repo.GetMany(ctx, []shared.UserID{a.ID(), c.ID(), shared.UserID(uuid.New()), b.ID(), a.ID()})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[shared.UserID]bool{}
	for _, u := range got {
		ids[u.ID()] = true
	}
	if len(got) != 2 || !ids[a.ID()] || !ids[b.ID()] {
		t.Fatalf("GetMany returned %d users %v, want a and b once each", len(got), ids)
	}
	none, err := repo.GetMany(ctx, nil)
	if err != nil || len(none) != 0 {
		t.Fatalf("GetMany(nil) = %v, %v", none, err)
	}
}

// testConcurrentUpdate races updates whose closures only apply to the
// state they first read: with row locking each sees its predecessor's
// result, so exactly one applies; without it several would (a lost update).
func testConcurrentUpdate(t *testing.T, newStore Factory) {
	repo, _ := newStore(t)
	ctx := context.Background()
	u := newUser(t, unique("race"), "Original")
	add(t, repo, u)
	const n = 8
	var wins atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			name, _ := identity.ParseName(fmt.Sprintf("Winner %d", i))
			_, err := repo.Update(ctx, u.ID(), func(x *identity.User) error {
				if x.Name().String() != "Original" {
					return errStop
				}
				_, err := x.UpdateProfile(identity.ProfileChange{Name: &name}, t0.Add(time.Minute))
				return err
			})
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, errStop):
			default:
				errs <- err
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("unexpected error: %v", err)
	}
	if wins.Load() != 1 {
		t.Fatalf("%d updates won, want exactly 1", wins.Load())
	}
	got, err := repo.Get(ctx, u.ID())
	if err != nil || !strings.HasPrefix(got.Name().String(), "Winner ") {
		t.Fatalf("winner not saved: %v %v", got, err)
	}
}

func testConcurrentAdd(t *testing.T, newStore Factory) {
	repo, uow := newStore(t)
	ctx := context.Background()
	addr := unique("twin")
	const n = 8
	var wins, taken atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		variant := addr
		if i%2 == 1 {
			variant = strings.ToUpper(addr)
		}
		u := newUser(t, variant, fmt.Sprintf("Twin %d", i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := uow.Transaction(ctx, func(ctx context.Context) error {
				return repo.Add(ctx, u)
			})
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, identity.ErrEmailTaken):
				taken.Add(1)
			default:
				errs <- err
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("unexpected error: %v", err)
	}
	if wins.Load() != 1 || taken.Load() != n-1 {
		t.Fatalf("wins=%d taken=%d, want 1 and %d", wins.Load(), taken.Load(), n-1)
	}
}

func testConcurrentEmailChange(t *testing.T, newStore Factory) {
	repo, _ := newStore(t)
	ctx := context.Background()
	target := email(t, unique("wanted"))
	const n = 6
	users := make([]*identity.User, n)
	for i := range users {
		users[i] = newUser(t, unique(fmt.Sprintf("u%d", i)), "Contender")
		add(t, repo, users[i])
	}
	var wins, taken atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := make(chan struct{})
	for _, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := repo.Update(ctx, u.ID(), func(x *identity.User) error {
				return x.ChangeEmail(target, t0.Add(time.Minute))
			})
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, identity.ErrEmailTaken):
				taken.Add(1)
			default:
				errs <- err
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("unexpected error: %v", err)
	}
	if wins.Load() != 1 || taken.Load() != n-1 {
		t.Fatalf("wins=%d taken=%d, want 1 and %d", wins.Load(), taken.Load(), n-1)
	}
}

func testPasswordless(t *testing.T, newStore Factory) {
	repo, _ := newStore(t)
	ctx := context.Background()
	e := email(t, unique("nopass"))
	n, _ := identity.ParseName("No Password")
	u, err := identity.NewUser(shared.UserID(uuid.New()), e, n, identity.PasswordHash{}, t0)
	if err != nil {
		t.Fatal(err)
	}
	add(t, repo, u)
	got, err := repo.FindByEmail(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	if got.HasPassword() {
		t.Fatal("a user stored without a password must load without one")
	}
	sameUser(t, got, u)
	later := t0.Add(time.Hour)
	if _, err := repo.Update(ctx, u.ID(), func(x *identity.User) error { return x.ResetPassword(hashB, e, later) }); err != nil {
		t.Fatal(err)
	}
	got, err = repo.Get(ctx, u.ID())
	if err != nil {
		t.Fatal(err)
	}
	if !got.HasPassword() || !got.PasswordHash().Equal(hashB) || !got.EmailVerifiedAt().Equal(later) {
		t.Fatal("the password set by a reset, and the verification, must be saved")
	}
	if _, err := repo.Update(ctx, u.ID(), func(x *identity.User) error { return x.Delete(later) }); err != nil {
		t.Fatal(err)
	}
}

func testEmailVerified(t *testing.T, newStore Factory) {
	repo, _ := newStore(t)
	ctx := context.Background()
	u := newUser(t, unique("verify"), "Verify")
	add(t, repo, u)
	got, err := repo.Get(ctx, u.ID())
	if err != nil || got.EmailVerified() {
		t.Fatalf("a new user must load unverified: %v", err)
	}
	at := t0.Add(time.Minute)
	if _, err := repo.Update(ctx, u.ID(), func(x *identity.User) error { return x.VerifyEmail(x.Email(), at) }); err != nil {
		t.Fatal(err)
	}
	got, err = repo.Get(ctx, u.ID())
	if err != nil || !got.EmailVerifiedAt().Equal(at) {
		t.Fatalf("the verification must be saved: %v %v", got.EmailVerifiedAt(), err)
	}
	next := email(t, unique("moved"))
	later := t0.Add(time.Hour)
	if _, err := repo.Update(ctx, u.ID(), func(x *identity.User) error { return x.ChangeEmail(next, later) }); err != nil {
		t.Fatal(err)
	}
	got, err = repo.FindByEmail(ctx, next)
	if err != nil || !got.EmailVerifiedAt().Equal(later) {
		t.Fatalf("the confirmed address must be saved verified: %v", err)
	}
}

func wantProfile(t *testing.T, repo identityport.UserRepository, ctx context.Context, u *identity.User) {
	t.Helper()
	v, err := repo.Profile(ctx, u.ID())
	if err != nil {
		t.Fatalf("Profile: %v", err)
	}
	if v.ID != u.ID() || v.Email != u.Email().String() || v.Name != u.Name().String() ||
		v.EmailVerified != u.EmailVerified() || !v.EmailVerifiedAt.Equal(u.EmailVerifiedAt()) ||
		!v.CreatedAt.Equal(u.CreatedAt()) || !v.UpdatedAt.Equal(u.UpdatedAt()) {
		t.Fatalf("Profile = %+v, want the view of %s %q (updated %s)", v, u.Email(), u.Name(), u.UpdatedAt())
	}
}

// testProfile reads every view twice, so a store that caches Profile
// answers the second read from its cache.
func testProfile(t *testing.T, newStore Factory) {
	repo, uow := newStore(t)
	ctx := context.Background()
	if _, err := repo.Profile(ctx, shared.UserID(uuid.New())); !errors.Is(err, identity.ErrUserNotFound) {
		t.Fatalf("Profile of an unknown user: want ErrUserNotFound, got %v", err)
	}
	u := newUser(t, unique("profile"), "Before")
	add(t, repo, u)
	wantProfile(t, repo, ctx, u)
	wantProfile(t, repo, ctx, u)

	rename := func(name string, at time.Time) func(*identity.User) error {
		return func(x *identity.User) error {
			n, _ := identity.ParseName(name)
			_, err := x.UpdateProfile(identity.ProfileChange{Name: &n}, at)
			return err
		}
	}
	u, err := repo.Update(ctx, u.ID(), rename("Directly", t0.Add(time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	wantProfile(t, repo, ctx, u)
	wantProfile(t, repo, ctx, u)

	err = uow.Transaction(ctx, func(ctx context.Context) error {
		x, err := repo.Update(ctx, u.ID(), rename("In A Unit", t0.Add(2*time.Minute)))
		if err != nil {
			return err
		}
		wantProfile(t, repo, ctx, x) // the unit sees its own change
		u = x
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wantProfile(t, repo, ctx, u)
	wantProfile(t, repo, ctx, u)

	err = uow.Transaction(ctx, func(ctx context.Context) error {
		if _, err := repo.Update(ctx, u.ID(), rename("Rolled Back", t0.Add(3*time.Minute))); err != nil {
			return err
		}
		return errStop
	})
	if !errors.Is(err, errStop) {
		t.Fatalf("Transaction = %v, want the closure's error", err)
	}
	wantProfile(t, repo, ctx, u)

	if _, err := repo.Update(ctx, u.ID(), func(x *identity.User) error { return x.Delete(t0.Add(time.Hour)) }); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := repo.Profile(ctx, u.ID()); !errors.Is(err, identity.ErrUserNotFound) {
			t.Fatalf("Profile of a deleted user: want ErrUserNotFound, got %v", err)
		}
	}
}
