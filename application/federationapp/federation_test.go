package federationapp_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/secuird/authy/adapters/memstore/platformmem"
	"github.com/secuird/authy/application/federationapp"
	"github.com/secuird/authy/domain/federation"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/federationport"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/sessionsport"
)

func verified(sub, email string) federation.Profile {
	return federation.Profile{Subject: sub, Email: email, EmailVerified: true, Name: "Ada"}
}

func TestComplete_AnUnknownIdentityWithANewEmailOpensAnAccountAndSignsIn(t *testing.T) {
	f := newFixture(t)
	f.google.answer("c1", verified("g-1", "ada@example.com"), nil)
	state := f.begin(t, "google", "browser-1", shared.DeliverCookie)
	res, err := f.callback("google", state, "c1", "browser-1")
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != federationport.OutcomeSignedIn || !res.Created || res.Session.Token == "" || res.ReturnTo != "/account" {
		t.Fatalf("completion %+v", res)
	}
	if got := f.sessions.started[0]; got.Name() != "social:google" || !reflect.DeepEqual(got.AMR(), []string{"fed"}) {
		t.Fatalf("session method %s %v", got.Name(), got.AMR())
	}
	ids := f.identitiesOf(t, res.User.ID)
	if len(ids) != 1 || ids[0].Subject() != "g-1" || !ids[0].EmailVerified() {
		t.Fatalf("identities %v", ids)
	}
	if got := f.audit.actions(); !reflect.DeepEqual(got, []string{"user.identity.linked", "auth.external.succeeded"}) {
		t.Fatalf("audit %v", got)
	}
	// The provider saw the flow's verifier and nonce.
	if seen := f.google.seen[0]; seen.Verifier == "" || seen.Nonce == "" || seen.Session != "session-google" {
		t.Fatalf("exchange request %+v", seen)
	}
}

func TestComplete_ALaterSignInUpdatesTheIdentitysProfile(t *testing.T) {
	f := newFixture(t)
	f.acme.answer("c1", verified("a-1", "ada@example.com"), nil)
	res, err := f.callback("acme", f.begin(t, "acme", "b", shared.DeliverCookie), "c1", "b")
	if err != nil {
		t.Fatal(err)
	}
	f.acme.answer("c2", federation.Profile{Subject: "a-1", Email: "ada@new.example", Name: "Ada L"}, nil)
	again, err := f.callback("acme", f.begin(t, "acme", "b", shared.DeliverCookie), "c2", "b")
	if err != nil {
		t.Fatal(err)
	}
	if again.Created || again.User.ID != res.User.ID || f.sessions.started[1].Name() != "oidc:acme" {
		t.Fatalf("second sign-in %+v", again)
	}
	id := f.identitiesOf(t, res.User.ID)[0]
	if id.Email() != "ada@new.example" || id.EmailVerified() || id.Name() != "Ada L" {
		t.Fatalf("identity not updated: %+v", id.State())
	}
}

func TestComplete_LinksByEmailOnlyWhenTheProviderAndTheAccountBothVerifiedIt(t *testing.T) {
	cases := []struct {
		name             string
		accountVerified  bool
		providerVerified bool
		linked           bool
	}{
		{"both verified", true, true, true},
		{"provider does not vouch", true, false, false},
		{"account unverified", false, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			user := f.addUser(t, "bob@example.com", c.accountVerified, true)
			f.google.answer("c", federation.Profile{Subject: "g-bob", Email: "Bob@Example.com", EmailVerified: c.providerVerified}, nil)
			res, err := f.callback("google", f.begin(t, "google", "b", shared.DeliverCookie), "c", "b")
			if !c.linked {
				wantErr(t, err, federation.ErrLinkRequiresSignIn)
				if len(f.identitiesOf(t, user)) != 0 || len(f.sessions.started) != 0 {
					t.Fatal("a refused link created something")
				}
				if ev := f.audit.last("auth.external.failed"); ev.Details["reason"] != "email_match_unverified" {
					t.Fatalf("failure record %+v", ev)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.User.ID != user || res.Created || len(f.identitiesOf(t, user)) != 1 {
				t.Fatalf("completion %+v", res)
			}
			if ev := f.audit.last("user.identity.linked"); ev.Details["by"] != "verified_email" {
				t.Fatalf("link record %+v", ev)
			}
		})
	}
}

func TestComplete_AStateIsSpentByItsFirstCallback(t *testing.T) {
	f := newFixture(t)
	f.google.answer("c", verified("g-1", "ada@example.com"), nil)
	state := f.begin(t, "google", "b", shared.DeliverCookie)
	if _, err := f.callback("google", state, "c", "b"); err != nil {
		t.Fatal(err)
	}
	_, err := f.callback("google", state, "c", "b")
	wantErr(t, err, federation.ErrStateInvalid)
	if len(f.sessions.started) != 1 {
		t.Fatal("a replayed state signed in again")
	}
}

func TestComplete_AStateFromAnotherBrowserIsRefusedAndSpent(t *testing.T) {
	f := newFixture(t)
	f.google.answer("c", verified("g-1", "ada@example.com"), nil)
	state := f.begin(t, "google", "attacker-browser", shared.DeliverCookie)
	res, err := f.callback("google", state, "c", "victim-browser")
	wantErr(t, err, federation.ErrBrowserMismatch)
	if res.ReturnTo != "/account" {
		t.Fatal("the failure should name where the flow meant to return")
	}
	_, err = f.callback("google", state, "c", "")
	wantErr(t, err, federation.ErrStateInvalid)
	if len(f.google.seen) != 0 || len(f.sessions.started) != 0 {
		t.Fatal("a callback from another browser reached the provider")
	}
}

func TestComplete_AStateWithoutTheBrowserCookieIsRefused(t *testing.T) {
	f := newFixture(t)
	state := f.begin(t, "google", "b", shared.DeliverCookie)
	_, err := f.callback("google", state, "c", "")
	wantErr(t, err, federation.ErrBrowserMismatch)
}

func TestComplete_AnExpiredStateIsRefused(t *testing.T) {
	f := newFixture(t)
	state := f.begin(t, "google", "b", shared.DeliverCookie)
	f.now = f.now.Add(federation.FlowLifetime + time.Second)
	_, err := f.callback("google", state, "c", "b")
	wantErr(t, err, federation.ErrStateExpired)
}

func TestComplete_AnotherProvidersCallbackIsRefused(t *testing.T) {
	f := newFixture(t)
	state := f.begin(t, "google", "b", shared.DeliverCookie)
	_, err := f.callback("acme", state, "c", "b")
	wantErr(t, err, federation.ErrStateInvalid)
}

func TestComplete_ProviderErrorsCreateNothing(t *testing.T) {
	f := newFixture(t)
	state := f.begin(t, "google", "b", shared.DeliverCookie)
	_, err := f.svc.Complete(f.ctx, federationport.CallbackCommand{Provider: "google", State: state, Error: "access_denied", Binding: "b"})
	wantErr(t, err, federation.ErrConsentDenied)
	state = f.begin(t, "google", "b", shared.DeliverCookie)
	_, err = f.svc.Complete(f.ctx, federationport.CallbackCommand{Provider: "google", State: state, Error: "server_error", Binding: "b"})
	wantErr(t, err, federation.ErrProviderError)
	f.acme.answer("forged", federation.Profile{}, errors.Join(errors.New("signature"), federation.ErrTokenInvalid))
	_, err = f.callback("acme", f.begin(t, "acme", "b", shared.DeliverCookie), "forged", "b")
	wantErr(t, err, federation.ErrTokenInvalid)
	if len(f.sessions.started) != 0 {
		t.Fatal("a failed callback signed in")
	}
	if ev := f.audit.last("auth.external.failed"); ev.Details["reason"] != "token_invalid" || ev.Details["provider"] != "acme" {
		t.Fatalf("failure record %+v", ev)
	}
}

func TestComplete_AFailureAfterTheAccountIsCreatedRollsEverythingBack(t *testing.T) {
	f := newFixture(t)
	f.sessions.fail = shared.Unavailable("sessions.down", "down")
	f.google.answer("c", verified("g-1", "ada@example.com"), nil)
	_, err := f.callback("google", f.begin(t, "google", "b", shared.DeliverCookie), "c", "b")
	if err == nil {
		t.Fatal("want the session error")
	}
	if _, err := f.directory().FindByEmail(context.Background(), "ada@example.com"); shared.KindOf(err) != shared.KindNotFound {
		t.Fatalf("the account outlived the rollback: %v", err)
	}
}

func TestExchange_ALoginCodeOpensOneBearerSessionOnce(t *testing.T) {
	f := newFixture(t)
	f.google.answer("c", verified("g-1", "ada@example.com"), nil)
	res, err := f.callback("google", f.begin(t, "google", "b", shared.DeliverCode), "c", "b")
	if err != nil {
		t.Fatal(err)
	}
	if res.LoginCode == "" || res.Session.Token != "" || len(f.sessions.started) != 0 {
		t.Fatalf("a code delivery must start no session yet: %+v", res)
	}
	ex, err := f.svc.Exchange(f.ctx, res.LoginCode)
	if err != nil {
		t.Fatal(err)
	}
	if ex.User.ID != res.User.ID || ex.Session.Token == "" || f.sessions.started[0].Name() != "social:google" {
		t.Fatalf("exchange %+v", ex)
	}
	_, err = f.svc.Exchange(f.ctx, res.LoginCode)
	wantErr(t, err, federation.ErrLoginCodeInvalid)
}

func TestExchange_ALoginCodeExpiresAfterSixtySeconds(t *testing.T) {
	f := newFixture(t)
	f.google.answer("c", verified("g-1", "ada@example.com"), nil)
	res, err := f.callback("google", f.begin(t, "google", "b", shared.DeliverCode), "c", "b")
	if err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(federation.LoginCodeLifetime)
	_, err = f.svc.Exchange(f.ctx, res.LoginCode)
	wantErr(t, err, federation.ErrLoginCodeInvalid)
}

func principal(user shared.UserID, authTime time.Time) sessionsport.Principal {
	return sessionsport.Principal{UserID: user, AuthTime: authTime}
}

func TestLink_AddsTheIdentityToTheSignedInUserAndRefusesAnotherUsersIdentity(t *testing.T) {
	f := newFixture(t)
	user := f.addUser(t, "bob@example.com", false, true)
	begin := func(p sessionsport.Principal) string {
		b, err := f.svc.BeginLink(f.ctx, p, federationport.BeginCommand{Provider: "acme", ReturnTo: "/account", Binding: "b"})
		if err != nil {
			t.Fatal(err)
		}
		return stateOf(t, b.AuthorizationURL)
	}
	f.acme.answer("c", federation.Profile{Subject: "a-bob", Email: "other@example.com"}, nil)
	res, err := f.callback("acme", begin(principal(user, f.now)), "c", "b")
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != federationport.OutcomeLinked || len(f.sessions.started) != 0 || len(f.identitiesOf(t, user)) != 1 {
		t.Fatalf("link %+v", res)
	}
	other := f.addUser(t, "eve@example.com", true, true)
	_, err = f.callback("acme", begin(principal(other, f.now)), "c", "b")
	wantErr(t, err, federation.ErrIdentityTaken)
	if len(f.identitiesOf(t, other)) != 0 {
		t.Fatal("the identity moved")
	}
}

func TestBeginLink_NeedsARecentSignIn(t *testing.T) {
	f := newFixture(t)
	user := f.addUser(t, "bob@example.com", true, true)
	_, err := f.svc.BeginLink(f.ctx, principal(user, f.now.Add(-6*time.Minute)), federationport.BeginCommand{Provider: "acme", Binding: "b"})
	wantErr(t, err, federation.ErrReauthRequired)
}

func TestUnlink_RefusesTheLastWayToSignIn(t *testing.T) {
	f := newFixture(t)
	f.google.answer("c", verified("g-1", "ada@example.com"), nil)
	res, err := f.callback("google", f.begin(t, "google", "b", shared.DeliverCookie), "c", "b")
	if err != nil {
		t.Fatal(err)
	}
	p := principal(res.User.ID, f.now)
	ids, _ := f.svc.ListIdentities(f.ctx, p)
	wantErr(t, f.svc.Unlink(f.ctx, p, ids[0].ID), federation.ErrLastSignInMethod)
	// With a second identity, one of them may go.
	b, err := f.svc.BeginLink(f.ctx, p, federationport.BeginCommand{Provider: "acme", Binding: "b"})
	if err != nil {
		t.Fatal(err)
	}
	f.acme.answer("c2", federation.Profile{Subject: "a-1"}, nil)
	if _, err := f.callback("acme", stateOf(t, b.AuthorizationURL), "c2", "b"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Unlink(f.ctx, p, ids[0].ID); err != nil {
		t.Fatal(err)
	}
	rest, _ := f.svc.ListIdentities(f.ctx, p)
	if len(rest) != 1 || rest[0].Provider != "acme" {
		t.Fatalf("left %+v", rest)
	}
	wantErr(t, f.svc.Unlink(f.ctx, p, rest[0].ID), federation.ErrLastSignInMethod)
	if ev := f.audit.last("user.identity.unlinked"); ev.Details["provider"] != "google" {
		t.Fatalf("unlink record %+v", ev)
	}
}

func TestUnlink_AUserWithAPasswordMayRemoveEveryIdentityButNotAnotherUsers(t *testing.T) {
	f := newFixture(t)
	user := f.addUser(t, "bob@example.com", true, true)
	f.google.answer("c", verified("g-bob", "bob@example.com"), nil)
	if _, err := f.callback("google", f.begin(t, "google", "b", shared.DeliverCookie), "c", "b"); err != nil {
		t.Fatal(err)
	}
	ids, _ := f.svc.ListIdentities(f.ctx, principal(user, f.now))
	other := f.addUser(t, "eve@example.com", true, true)
	wantErr(t, f.svc.Unlink(f.ctx, principal(other, f.now), ids[0].ID), federation.ErrIdentityNotFound)
	if err := f.svc.Unlink(f.ctx, principal(user, f.now), ids[0].ID); err != nil {
		t.Fatal(err)
	}
}

func TestBeforeAccountDeletion_RemovesTheUsersIdentities(t *testing.T) {
	f := newFixture(t)
	f.google.answer("c", verified("g-1", "ada@example.com"), nil)
	res, err := f.callback("google", f.begin(t, "google", "b", shared.DeliverCookie), "c", "b")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.BeforeAccountDeletion(f.ctx, res.User.ID); err != nil {
		t.Fatal(err)
	}
	if len(f.identitiesOf(t, res.User.ID)) != 0 {
		t.Fatal("identities left")
	}
}

func TestCleanup_RemovesExpiredFlows(t *testing.T) {
	f := newFixture(t)
	state := f.begin(t, "google", "b", shared.DeliverCookie)
	f.now = f.now.Add(time.Hour)
	if n, err := f.svc.Cleanup(f.ctx); err != nil || n != 1 {
		t.Fatalf("Cleanup = %d, %v", n, err)
	}
	_, err := f.callback("google", state, "c", "b")
	wantErr(t, err, federation.ErrStateInvalid)
}

func TestProviders_ListsTheConfiguredProvidersInOrder(t *testing.T) {
	f := newFixture(t)
	got := f.svc.Providers(f.ctx)
	if len(got) != 2 || got[0].Name != "google" || got[0].Kind != "google" || got[1].Kind != "oidc" {
		t.Fatalf("providers %+v", got)
	}
}

func TestBeginSignIn_IsLimitedPerClient(t *testing.T) {
	f := newFixture(t)
	clock := platformport.ClockFunc(func() time.Time { return f.now })
	acc := accounts{users: f.users, now: clock.Now}
	svc, err := federationapp.New(federationapp.Deps{
		Providers: []federationport.Upstream{f.google}, Identities: f.store, Flows: f.store.Flows(), Codes: f.store.LoginCodes(), UoW: f.db,
		Accounts: acc, Directory: acc, Sessions: f.sessions, Revoker: f.sessions, Audit: f.audit, Clock: clock,
		Limiter: platformmem.NewRateLimiter(clock), StartsPerClient: platformport.Limit{Max: 2, Window: time.Minute},
	})
	if err != nil {
		t.Fatal(err)
	}
	cmd := federationport.BeginCommand{Provider: "google", Binding: "b"}
	for i := 0; i < 2; i++ {
		if _, err := svc.BeginSignIn(f.ctx, cmd); err != nil {
			t.Fatal(err)
		}
	}
	_, err = svc.BeginSignIn(f.ctx, cmd)
	if shared.KindOf(err) != shared.KindRateLimited {
		t.Fatalf("third start: %v", err)
	}
	other := shared.WithRequestMeta(context.Background(), shared.RequestMeta{ClientIP: "198.51.100.7"})
	if _, err := svc.BeginSignIn(other, cmd); err != nil {
		t.Fatalf("another client: %v", err)
	}
}
