package federationapp_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/federation"
	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/federationport"
	"github.com/secuird/authy/ports/identityport"
)

// markVerified verifies the account's address in the store, as identity
// does in the proof's transaction.
func (f *fixture) markVerified(t *testing.T, id identityport.UserSummary) {
	t.Helper()
	if _, err := f.users.Update(context.Background(), id.ID, func(u *identity.User) error { return u.VerifyEmail(u.Email(), f.now) }); err != nil {
		t.Fatal(err)
	}
}

// The pre-account hijack, replayed: an attacker opens an account with the
// victim's address through a provider that does not vouch for it, keeps
// a session, a login code and a link flow on it; the victim then proves the
// address.
func TestEmailProven_UnlinksTheIdentityThatNeverVouchedForTheAddressWithWhatItOpened(t *testing.T) {
	f := newFixture(t)
	mallory := federation.Profile{Subject: "a-mallory", Email: "Victim@Example.com", EmailVerified: false}
	f.acme.answer("c1", mallory, nil)
	res, err := f.callback("acme", f.begin(t, "acme", "mallory", shared.DeliverCookie), "c1", "mallory")
	if err != nil {
		t.Fatal(err)
	}
	victim := res.User
	if !res.Created || victim.EmailVerified {
		t.Fatalf("an account opened through a provider that does not vouch has no verified email: %+v", res)
	}
	// So the address's real owner cannot be joined to it by email.
	if found, err := f.directory().FindByEmail(f.ctx, "victim@example.com"); err != nil || found.EmailVerified {
		t.Fatalf("directory %+v, %v", found, err)
	}
	f.google.answer("g", verified("g-victim", "victim@example.com"), nil)
	_, err = f.callback("google", f.begin(t, "google", "victim", shared.DeliverCookie), "g", "victim")
	wantErr(t, err, federation.ErrLinkRequiresSignIn)

	f.acme.answer("c2", mallory, nil)
	coded, err := f.callback("acme", f.begin(t, "acme", "mallory", shared.DeliverCode), "c2", "mallory")
	if err != nil || coded.LoginCode == "" {
		t.Fatalf("login code %+v, %v", coded, err)
	}
	b, err := f.svc.BeginLink(f.ctx, principal(victim.ID, f.now), federationport.BeginCommand{Provider: "google", Binding: "mallory"})
	if err != nil {
		t.Fatal(err)
	}
	pendingLink := stateOf(t, b.AuthorizationURL)

	f.sessions.revoked = 2
	eff, err := f.svc.EmailProven(f.ctx, identityport.EmailProof{User: victim.ID, Email: "victim@example.com", Via: "email_verification"})
	if err != nil {
		t.Fatal(err)
	}
	f.markVerified(t, victim)
	if want := []identityport.UnlinkedIdentity{{Provider: "acme", DisplayName: "Fake acme"}}; !reflect.DeepEqual(eff.Unlinked, want) || eff.SessionsRevoked != 2 {
		t.Fatalf("effects %+v", eff)
	}
	if len(f.identitiesOf(t, victim.ID)) != 0 {
		t.Fatal("the attacker's identity is still linked")
	}
	if want := []methodRevoke{{User: victim.ID, Methods: []string{"oidc:acme", "social:acme"}, Reason: "identity_unlinked"}}; !reflect.DeepEqual(f.sessions.revokes, want) {
		t.Fatalf("revocations %+v, want %+v", f.sessions.revokes, want)
	}
	ev := f.audit.last("user.identity.unlinked")
	if ev.TargetID != victim.ID.String() || ev.Details["provider"] != "acme" || ev.Details["reason"] != "email_proven" || ev.Details["proof"] != "email_verification" {
		t.Fatalf("unlink record %+v", ev)
	}
	// Nothing the attacker held opens the account any more.
	_, err = f.svc.Exchange(f.ctx, coded.LoginCode)
	wantErr(t, err, federation.ErrLoginCodeInvalid)
	f.google.answer("g2", verified("g-mallory", "mallory@example.com"), nil)
	_, err = f.callback("google", pendingLink, "g2", "mallory")
	wantErr(t, err, federation.ErrStateInvalid)
	if len(f.identitiesOf(t, victim.ID)) != 0 {
		t.Fatal("the pending link flow linked an identity after the proof")
	}
	started := len(f.sessions.started)
	f.acme.answer("c3", mallory, nil)
	_, err = f.callback("acme", f.begin(t, "acme", "mallory", shared.DeliverCookie), "c3", "mallory")
	wantErr(t, err, federation.ErrLinkRequiresSignIn)
	if len(f.sessions.started) != started || len(f.identitiesOf(t, victim.ID)) != 0 {
		t.Fatal("the unlinked identity signed in again")
	}
}

func TestEmailProven_KeepsOnlyTheIdentitiesThatVouchedForThatSameAddress(t *testing.T) {
	f := newFixture(t)
	user := f.addUser(t, "bob@example.com", true, true)
	f.google.answer("g", verified("g-bob", "Bob@Example.com"), nil)
	if _, err := f.callback("google", f.begin(t, "google", "b", shared.DeliverCookie), "g", "b"); err != nil {
		t.Fatal(err)
	}
	b, err := f.svc.BeginLink(f.ctx, principal(user, f.now), federationport.BeginCommand{Provider: "acme", Binding: "b"})
	if err != nil {
		t.Fatal(err)
	}
	f.acme.answer("a", verified("a-bob", "bob@elsewhere.example"), nil)
	if _, err := f.callback("acme", stateOf(t, b.AuthorizationURL), "a", "b"); err != nil {
		t.Fatal(err)
	}
	keep := uuid.New()
	eff, err := f.svc.EmailProven(f.ctx, identityport.EmailProof{User: user, Email: "bob@example.com", Keep: keep, Via: "password_reset"})
	if err != nil {
		t.Fatal(err)
	}
	if len(eff.Unlinked) != 1 || eff.Unlinked[0].Provider != "acme" {
		t.Fatalf("a verified identity of another address proves nothing about this one: %+v", eff)
	}
	left := f.identitiesOf(t, user)
	if len(left) != 1 || left[0].Provider().String() != "google" {
		t.Fatalf("left %+v", left)
	}
	if got := f.sessions.revokes; len(got) != 1 || got[0].Keep != keep {
		t.Fatalf("revocations %+v: the requester's session is kept", got)
	}
	// The identity that vouched for the address still signs in to it.
	f.google.answer("g2", verified("g-bob", "bob@example.com"), nil)
	again, err := f.callback("google", f.begin(t, "google", "b", shared.DeliverCookie), "g2", "b")
	if err != nil || again.User.ID != user {
		t.Fatalf("sign-in %+v, %v", again, err)
	}
	// A second proof finds nothing more to do.
	f.sessions.revokes = nil
	if eff, err := f.svc.EmailProven(f.ctx, identityport.EmailProof{User: user, Email: "bob@example.com", Via: "email_verification"}); err != nil || len(eff.Unlinked) != 0 || len(f.sessions.revokes) != 0 {
		t.Fatalf("effects %+v, revocations %+v, %v", eff, f.sessions.revokes, err)
	}
}

func TestEmailProven_JoinsTheProofsTransaction(t *testing.T) {
	f := newFixture(t)
	f.acme.answer("c", federation.Profile{Subject: "a-1", Email: "ada@example.com"}, nil)
	res, err := f.callback("acme", f.begin(t, "acme", "b", shared.DeliverCookie), "c", "b")
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("the verification failed later")
	err = f.db.Transaction(f.ctx, func(ctx context.Context) error {
		if eff, err := f.svc.EmailProven(ctx, identityport.EmailProof{User: res.User.ID, Email: "ada@example.com", Via: "email_verification"}); err != nil || len(eff.Unlinked) != 1 {
			t.Fatalf("effects %+v, %v", eff, err)
		}
		return boom
	})
	wantErr(t, err, boom)
	if len(f.identitiesOf(t, res.User.ID)) != 1 {
		t.Fatal("a rolled-back proof unlinked the identity")
	}
}
