//go:build integration

package e2e

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/secuird/authy/adapters/upstream/oauthproviders/upstreamtest"
	"github.com/secuird/authy/tests/apitest"
	"github.com/secuird/authy/tests/testenv"
)

type proofAnswer struct {
	SessionsRevoked    int      `json:"sessions_revoked"`
	IdentitiesUnlinked []string `json:"identities_unlinked"`
}

// resetByMail asks for a reset link for email, opens the n-th one mailed
// (1 = the first) and sets password.
func resetByMail(t *testing.T, srv *apitest.Server, email, password string, n int) proofAnswer {
	t.Helper()
	if res := srv.Do(t, "POST", "/api/v1/auth/password/forgot", map[string]any{"email": email}, ""); res.Status != http.StatusAccepted {
		t.Fatalf("forgot: %d %s", res.Status, res.Body)
	}
	token := waitForLink(t, srv, email, "/reset-password", n)
	res := srv.Do(t, "POST", "/api/v1/auth/password/reset", map[string]any{"token": token, "new_password": password}, "")
	if res.Status != http.StatusOK {
		t.Fatalf("reset: %d %s", res.Status, res.Body)
	}
	var out proofAnswer
	res.Decode(t, &out)
	return out
}

// preAccountHijack replays the attack: Mallory opens an account with
// Victor's address through Microsoft (whose address is never treated as
// verified) and keeps a cookie session and a single-page app's login code
// on it. Victor opens the verification link the account's creation mailed
// him, through the page, and then resets the password to use the account.
// The proof must throw Mallory out for good.
func preAccountHijack(t *testing.T, srv *apitest.Server, fake *upstreamtest.Server) {
	victor := unique("victor")
	mallory := upstreamtest.User{Subject: "ms-" + testenv.Unique(), Email: victor, EmailVerified: true, Name: "Victor"}
	mb := newPageBrowser(t, srv)
	wantRedirect(t, mb.externalSignIn(t, fake, "microsoft", "", mallory), "/account")
	if me := meOf(t, srv, mb.session()); me.Email != victor || me.EmailVerified {
		t.Fatalf("an account opened through Microsoft has no verified email: %+v", me)
	}
	// Nobody's Google account can be joined to it by email meanwhile.
	wantRedirect(t, newPageBrowser(t, srv).externalSignIn(t, fake, "google", "",
		upstreamtest.User{Subject: "g-" + testenv.Unique(), Email: victor, EmailVerified: true}), "/login?error=federation.link_requires_sign_in")
	a := mb.externalSignIn(t, fake, "microsoft", spaOrigin+"/callback", mallory)
	loc, err := url.Parse(a.header.Get("Location"))
	if err != nil || loc.Query().Get("login_code") == "" {
		t.Fatalf("login code: %d %s", a.status, a.header.Get("Location"))
	}

	vb := newPageBrowser(t, srv)
	token := waitForLink(t, srv, victor, "/verify-email", 1)
	form := vb.send(t, "GET", "/verify-email?token="+url.QueryEscape(token), nil)
	done := vb.send(t, "POST", "/verify-email", url.Values{"token": {token}, "csrf_token": {formToken(t, form)}})
	if done.status != http.StatusOK || !strings.Contains(done.body, "sign-in through Microsoft was removed from this account") {
		t.Fatalf("the confirmation page must tell the owner: %d\n%s", done.status, done.body)
	}
	if res := srv.Do(t, "GET", "/api/v1/auth/me", nil, mb.session()); res.Status != http.StatusUnauthorized {
		t.Fatalf("Mallory's session still works after the proof: %d %s", res.Status, res.Body)
	}
	if res := srv.Do(t, "POST", "/api/v1/auth/external/exchange", map[string]any{"login_code": loc.Query().Get("login_code")}, ""); res.Status != http.StatusUnauthorized {
		t.Fatalf("Mallory's login code still opens the account: %d %s", res.Status, res.Body)
	}
	wantRedirect(t, mb.externalSignIn(t, fake, "microsoft", "", mallory), "/login?error=federation.link_requires_sign_in")

	if out := resetByMail(t, srv, victor, "Victor's own passphrase", 1); len(out.IdentitiesUnlinked) != 0 {
		t.Fatalf("nothing was left to unlink: %+v", out)
	}
	v := idLoginAs(t, srv, victor, "Victor's own passphrase")
	if ids := identitiesOf(t, srv, v.Token); len(ids) != 0 {
		t.Fatalf("identities %+v", ids)
	}
	audit := string(srv.Do(t, "GET", "/api/v1/users/me/audit-logs", nil, v.Token).Body)
	for _, want := range []string{`"user.identity.unlinked"`, `"reason":"email_proven"`, `"reason":"identity_unlinked"`} {
		if !strings.Contains(audit, want) {
			t.Errorf("the audit trail lacks %s: %s", want, audit)
		}
	}
}

// proofKeepsTheOwnersIdentity: an owner who signed up through an OpenID
// Connect provider that vouched for the address, and later linked
// Microsoft, resets the password. Microsoft, which never vouched, goes with
// its sessions; the provider that did stays and still signs in.
func proofKeepsTheOwnersIdentity(t *testing.T, srv *apitest.Server, fake *upstreamtest.Server) {
	olga := unique("olga")
	acme := upstreamtest.User{Subject: "acme|" + testenv.Unique(), Email: olga, EmailVerified: true, Name: "Olga"}
	ob := newPageBrowser(t, srv)
	wantRedirect(t, ob.externalSignIn(t, fake, "acme", "", acme), "/account")
	owner := meOf(t, srv, ob.session())
	microsoft := upstreamtest.User{Subject: "ms-" + testenv.Unique(), Email: olga}
	authURL := ob.linkStart(t, ob.session(), "microsoft")
	fake.SignInAs(microsoft)
	wantRedirect(t, ob.follow(t, approve(t, fake, authURL)), "/account")
	viaMicrosoft := newPageBrowser(t, srv)
	wantRedirect(t, viaMicrosoft.externalSignIn(t, fake, "microsoft", "", microsoft), "/account")
	if me := meOf(t, srv, viaMicrosoft.session()); me.ID != owner.ID {
		t.Fatalf("the linked identity opened %+v", me)
	}

	out := resetByMail(t, srv, olga, "Olga's new passphrase", 1)
	if !reflect.DeepEqual(out.IdentitiesUnlinked, []string{"microsoft"}) || out.SessionsRevoked != 2 {
		t.Fatalf("reset %+v: Microsoft unlinked, both sessions ended", out)
	}
	for _, b := range []*pageBrowser{ob, viaMicrosoft} {
		if res := srv.Do(t, "GET", "/api/v1/auth/me", nil, b.session()); res.Status != http.StatusUnauthorized {
			t.Fatalf("a session outlived the reset: %d", res.Status)
		}
	}
	wantRedirect(t, newPageBrowser(t, srv).externalSignIn(t, fake, "microsoft", "", microsoft), "/login?error=federation.link_requires_sign_in")
	again := newPageBrowser(t, srv)
	wantRedirect(t, again.externalSignIn(t, fake, "acme", "", acme), "/account")
	if me := meOf(t, srv, again.session()); me.ID != owner.ID {
		t.Fatalf("the identity that vouched for the address opened %+v", me)
	}
	if ids := identitiesOf(t, srv, again.session()); len(ids) != 1 || ids[0].Provider != "acme" {
		t.Fatalf("identities %+v", ids)
	}
}
