package identity_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
)

var (
	t0     = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	userID = shared.UserID(uuid.MustParse("7b0c6c1e-3a57-4c1f-9d51-0c2a4b6f8e01"))
	hash1  = identity.PasswordHashFromEncoded("$argon2id$v=19$m=19456,t=2,p=1$one$one")
	hash2  = identity.PasswordHashFromEncoded("$argon2id$v=19$m=19456,t=2,p=1$two$two")
)

func mustEmail(t *testing.T, s string) identity.Email {
	t.Helper()
	e, reason := identity.ParseEmail(s)
	if reason != "" {
		t.Fatalf("ParseEmail(%q): %s", s, reason)
	}
	return e
}

func mustName(t *testing.T, s string) identity.Name {
	t.Helper()
	n, reason := identity.ParseName(s)
	if reason != "" {
		t.Fatalf("ParseName(%q): %s", s, reason)
	}
	return n
}

func newUser(t *testing.T) *identity.User {
	t.Helper()
	u, err := identity.NewUser(userID, mustEmail(t, "Bob@Acme-Corp.com"), mustName(t, "Bob"), hash1, t0)
	if err != nil {
		t.Fatal(err)
	}
	u.PullEvents()
	return u
}

func TestNewUser_RecordsRegistrationWithTheGivenTime(t *testing.T) {
	u, err := identity.NewUser(userID, mustEmail(t, "bob@acme-corp.com"), mustName(t, "Bob"), hash1, t0)
	if err != nil {
		t.Fatal(err)
	}
	if u.ID() != userID || !u.CreatedAt().Equal(t0) || !u.UpdatedAt().Equal(t0) || u.Deleted() {
		t.Fatalf("unexpected user %+v", u)
	}
	ev := u.PullEvents()
	if len(ev) != 1 {
		t.Fatalf("events = %d, want 1", len(ev))
	}
	if _, ok := ev[0].(identity.UserRegistered); !ok || ev[0].UserID() != userID || !ev[0].OccurredAt().Equal(t0) {
		t.Fatalf("unexpected event %#v", ev[0])
	}
	if len(u.PullEvents()) != 0 {
		t.Fatal("PullEvents must forget what it returned")
	}
}

func TestNewUser_RefusesMissingParts(t *testing.T) {
	_, err := identity.NewUser(shared.UserID{}, identity.Email{}, identity.Name{}, identity.PasswordHash{}, time.Time{})
	var se *shared.Error
	if !errors.As(err, &se) || se.Kind() != shared.KindInvalid {
		t.Fatalf("want a validation error, got %v", err)
	}
	for _, f := range []string{"id", "email", "name", "created_at"} {
		if len(se.Fields()[f]) == 0 {
			t.Errorf("no reason for %s", f)
		}
	}
}

func TestNewUser_WithoutAPasswordIsAValidAccountWithAnUnverifiedEmail(t *testing.T) {
	u, err := identity.NewUser(userID, mustEmail(t, "sso@acme-corp.com"), mustName(t, "Sso"), identity.PasswordHash{}, t0)
	if err != nil {
		t.Fatalf("a user without a password must be valid: %v", err)
	}
	if u.HasPassword() || u.EmailVerified() || !u.EmailVerifiedAt().IsZero() {
		t.Fatalf("has password %v, verified %v", u.HasPassword(), u.EmailVerified())
	}
}

func TestUpdateProfile_ChangesOnlyWhatDiffersAndNamesTheFields(t *testing.T) {
	sameName := mustName(t, "Bob")
	newName := mustName(t, "Robert")
	tests := []struct {
		name     string
		change   identity.ProfileChange
		fields   []string
		wantName string
	}{
		{"nothing", identity.ProfileChange{}, nil, "Bob"},
		{"same name", identity.ProfileChange{Name: &sameName}, nil, "Bob"},
		{"new name", identity.ProfileChange{Name: &newName}, []string{"name"}, "Robert"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := newUser(t)
			later := t0.Add(time.Hour)
			fields, err := u.UpdateProfile(tt.change, later)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(fields, tt.fields) {
				t.Fatalf("fields = %v, want %v", fields, tt.fields)
			}
			if u.Email().String() != "bob@acme-corp.com" || u.Name().String() != tt.wantName {
				t.Fatalf("got %q %q", u.Email(), u.Name())
			}
			ev := u.PullEvents()
			if len(tt.fields) == 0 {
				if len(ev) != 0 || !u.UpdatedAt().Equal(t0) {
					t.Fatal("a no-op change must record nothing and keep updated_at")
				}
				return
			}
			pu, ok := ev[0].(identity.ProfileUpdated)
			if len(ev) != 1 || !ok || !reflect.DeepEqual(pu.Fields, tt.fields) || !u.UpdatedAt().Equal(later) {
				t.Fatalf("unexpected events %#v", ev)
			}
		})
	}
}

func TestUpdateProfile_RefusesZeroValuesAndLeavesTheUserUnchanged(t *testing.T) {
	u := newUser(t)
	var zeroName identity.Name
	if _, err := u.UpdateProfile(identity.ProfileChange{Name: &zeroName}, t0.Add(time.Minute)); shared.KindOf(err) != shared.KindInvalid {
		t.Fatalf("want invalid, got %v", err)
	}
	if u.Name().String() != "Bob" || len(u.PullEvents()) != 0 {
		t.Fatal("a refused change must leave the aggregate unchanged")
	}
}

func TestVerifyEmail_ProvesOnlyTheAddressTheAccountHasNow(t *testing.T) {
	u := newUser(t)
	if err := u.VerifyEmail(mustEmail(t, "old-bob@acme-corp.com"), t0.Add(time.Minute)); !errors.Is(err, identity.ErrTokenInvalid) {
		t.Fatalf("a link mailed to another address: want ErrTokenInvalid, got %v", err)
	}
	if u.EmailVerified() || len(u.PullEvents()) != 0 {
		t.Fatal("a refused verification must leave the aggregate unchanged")
	}
	at := t0.Add(time.Hour)
	if err := u.VerifyEmail(mustEmail(t, "BOB@acme-corp.com"), at); err != nil {
		t.Fatal(err)
	}
	if !u.EmailVerified() || !u.EmailVerifiedAt().Equal(at) || !u.UpdatedAt().Equal(at) {
		t.Fatalf("verified %v at %v", u.EmailVerified(), u.EmailVerifiedAt())
	}
	if ev := u.PullEvents(); len(ev) != 1 {
		t.Fatalf("events %#v", ev)
	} else if _, ok := ev[0].(identity.EmailVerified); !ok {
		t.Fatalf("events %#v", ev)
	}
	if err := u.VerifyEmail(mustEmail(t, "bob@acme-corp.com"), at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if !u.EmailVerifiedAt().Equal(at) || len(u.PullEvents()) != 0 {
		t.Fatal("verifying a verified email again must change and record nothing")
	}
}

func TestChangeEmail_SwitchesToTheConfirmedAddressAndVerifiesIt(t *testing.T) {
	u := newUser(t)
	at := t0.Add(time.Hour)
	if err := u.ChangeEmail(mustEmail(t, "robert@acme-corp.com"), at); err != nil {
		t.Fatal(err)
	}
	if u.Email().String() != "robert@acme-corp.com" || !u.EmailVerifiedAt().Equal(at) {
		t.Fatalf("email %s verified at %v", u.Email(), u.EmailVerifiedAt())
	}
	if ev := u.PullEvents(); len(ev) != 1 {
		t.Fatalf("events %#v", ev)
	} else if _, ok := ev[0].(identity.EmailChanged); !ok {
		t.Fatalf("events %#v", ev)
	}
	if err := u.VerifyEmail(mustEmail(t, "bob@acme-corp.com"), at); !errors.Is(err, identity.ErrTokenInvalid) {
		t.Fatalf("a verification link of the old address must not apply: %v", err)
	}
	var zero identity.Email
	if err := u.ChangeEmail(zero, at); shared.KindOf(err) != shared.KindInvalid || u.Email().String() != "robert@acme-corp.com" {
		t.Fatalf("a zero address must be refused: %v", err)
	}
}

func TestChangeEmail_ToTheSameAddressOnlyVerifiesIt(t *testing.T) {
	u := newUser(t)
	if err := u.ChangeEmail(mustEmail(t, "Bob@ACME-corp.com"), t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	ev := u.PullEvents()
	if _, ok := ev[0].(identity.EmailVerified); len(ev) != 1 || !ok || !u.EmailVerified() {
		t.Fatalf("events %#v", ev)
	}
}

func TestResetPassword_SetsAPasswordEvenWithoutOneAndVerifiesTheEmail(t *testing.T) {
	u, err := identity.NewUser(userID, mustEmail(t, "bob@acme-corp.com"), mustName(t, "Bob"), identity.PasswordHash{}, t0)
	if err != nil {
		t.Fatal(err)
	}
	u.PullEvents()
	at := t0.Add(time.Minute)
	if err := u.ResetPassword(hash2, mustEmail(t, "bob@acme-corp.com"), at); err != nil {
		t.Fatal(err)
	}
	if !u.HasPassword() || !u.PasswordHash().Equal(hash2) || !u.EmailVerifiedAt().Equal(at) {
		t.Fatal("the reset must set the password and verify the email")
	}
	ev := u.PullEvents()
	if pr, ok := ev[0].(identity.PasswordReset); len(ev) != 1 || !ok || !pr.EmailVerified {
		t.Fatalf("events %#v", ev)
	}
	if err := u.ResetPassword(hash1, mustEmail(t, "bob@acme-corp.com"), at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if pr := u.PullEvents()[0].(identity.PasswordReset); pr.EmailVerified || !u.EmailVerifiedAt().Equal(at) {
		t.Fatal("a second reset must not verify again")
	}
}

func TestResetPassword_ByALinkMailedToAnotherAddressIsRefused(t *testing.T) {
	u := newUser(t)
	if err := u.ResetPassword(hash2, mustEmail(t, "old-bob@acme-corp.com"), t0.Add(time.Minute)); !errors.Is(err, identity.ErrTokenInvalid) {
		t.Fatalf("want ErrTokenInvalid, got %v", err)
	}
	if !u.PasswordHash().Equal(hash1) || u.EmailVerified() || len(u.PullEvents()) != 0 {
		t.Fatal("a refused reset must leave the aggregate unchanged")
	}
}

func TestChangePassword_WithoutAPasswordPointsToTheResetFlow(t *testing.T) {
	u, err := identity.NewUser(userID, mustEmail(t, "bob@acme-corp.com"), mustName(t, "Bob"), identity.PasswordHash{}, t0)
	if err != nil {
		t.Fatal(err)
	}
	for name, verb := range map[string]func() error{
		"change":  func() error { return u.ChangePassword(hash2, t0.Add(time.Minute)) },
		"upgrade": func() error { return u.UpgradePasswordHash(hash2, t0.Add(time.Minute)) },
	} {
		if err := verb(); !errors.Is(err, identity.ErrNoPassword) || shared.KindOf(err) != shared.KindConflict {
			t.Fatalf("%s: want ErrNoPassword, got %v", name, err)
		}
	}
	if u.HasPassword() {
		t.Fatal("a refused change must not set a password")
	}
}

func TestChangePassword_ReplacesTheHashAndRecordsIt(t *testing.T) {
	u := newUser(t)
	if err := u.ChangePassword(hash2, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if !u.PasswordHash().Equal(hash2) {
		t.Fatal("hash not replaced")
	}
	ev := u.PullEvents()
	if _, ok := ev[0].(identity.PasswordChanged); len(ev) != 1 || !ok {
		t.Fatalf("unexpected events %#v", ev)
	}
	if err := u.ChangePassword(identity.PasswordHash{}, t0); shared.KindOf(err) != shared.KindInvalid {
		t.Fatalf("a zero hash must be refused, got %v", err)
	}
}

func TestUpgradePasswordHash_IsNotAPasswordChange(t *testing.T) {
	u := newUser(t)
	if err := u.UpgradePasswordHash(hash2, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if !u.PasswordHash().Equal(hash2) || len(u.PullEvents()) != 0 {
		t.Fatal("an upgrade replaces the hash and records nothing")
	}
}

func TestDelete_DropsTheHashRecordsItAndFreezesTheAccount(t *testing.T) {
	u := newUser(t)
	at := t0.Add(2 * time.Hour)
	if err := u.Delete(at); err != nil {
		t.Fatal(err)
	}
	if !u.Deleted() || !u.DeletedAt().Equal(at) || !u.PasswordHash().IsZero() {
		t.Fatalf("unexpected state after delete: deleted=%v at=%v", u.Deleted(), u.DeletedAt())
	}
	ev := u.PullEvents()
	if _, ok := ev[0].(identity.UserDeleted); len(ev) != 1 || !ok {
		t.Fatalf("unexpected events %#v", ev)
	}
	name := mustName(t, "Mallory")
	tests := []struct {
		name string
		verb func() error
	}{
		{"delete again", func() error { return u.Delete(at) }},
		{"change password", func() error { return u.ChangePassword(hash2, at) }},
		{"upgrade hash", func() error { return u.UpgradePasswordHash(hash2, at) }},
		{"update profile", func() error {
			_, err := u.UpdateProfile(identity.ProfileChange{Name: &name}, at)
			return err
		}},
		{"verify email", func() error { return u.VerifyEmail(u.Email(), at) }},
		{"change email", func() error { return u.ChangeEmail(mustEmail(t, "mallory@example.com"), at) }},
		{"reset password", func() error { return u.ResetPassword(hash2, u.Email(), at) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.verb(); !errors.Is(err, identity.ErrUserNotFound) {
				t.Fatalf("want ErrUserNotFound, got %v", err)
			}
			if !u.PasswordHash().IsZero() || u.Name().String() != "Bob" {
				t.Fatal("a deleted account must not change")
			}
		})
	}
}

func TestUpdatedAt_NeverMovesBackwards(t *testing.T) {
	u := newUser(t)
	name := mustName(t, "Robert")
	if _, err := u.UpdateProfile(identity.ProfileChange{Name: &name}, t0.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if u.UpdatedAt().Before(u.CreatedAt()) {
		t.Fatal("updated_at moved before created_at")
	}
}

func TestRehydrateUser_RestoresStateWithoutEvents(t *testing.T) {
	del := t0.Add(time.Hour)
	u := identity.RehydrateUser(identity.UserState{ID: userID, Email: mustEmail(t, "bob@acme-corp.com"), Name: mustName(t, "Bob"),
		CreatedAt: t0, UpdatedAt: del, DeletedAt: del})
	if !u.Deleted() || len(u.PullEvents()) != 0 {
		t.Fatal("rehydration must restore deletion and record nothing")
	}
	st := identity.UserState{ID: userID, Email: mustEmail(t, "bob@acme-corp.com"), EmailVerifiedAt: t0, Name: mustName(t, "Bob"),
		PasswordHash: hash1, CreatedAt: t0, UpdatedAt: t0}
	live := identity.RehydrateUser(st)
	if live.Deleted() || !live.EmailVerified() || !live.HasPassword() {
		t.Fatal("a zero deleted_at is a live account, and the verification and hash are restored")
	}
	if !reflect.DeepEqual(live.State(), st) {
		t.Fatalf("State() = %+v, want %+v", live.State(), st)
	}
}
