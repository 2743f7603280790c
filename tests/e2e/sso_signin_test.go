//go:build integration

package e2e

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/google/uuid"
	"golang.org/x/oauth2"

	"github.com/secuird/authy/adapters/upstream/dnstxt/dnstxttest"
	"github.com/secuird/authy/adapters/upstream/oauthproviders/upstreamtest"
	"github.com/secuird/authy/adapters/upstream/samlsso/samlssotest"
	"github.com/secuird/authy/bootstrap"
	"github.com/secuird/authy/tests/apitest"
	"github.com/secuird/authy/tests/testenv"
)

// ssoSignInServer boots a server whose SSO connections reach a loopback
// OpenID Connect provider, with a social OpenID Connect provider ("acme")
// on the same fake, so enforcement can be tried on both kinds of sign-in.
func ssoSignInServer(t *testing.T, backend apitest.Backend) (*apitest.Server, *dnstxttest.Server, *upstreamtest.Server) {
	t.Helper()
	dns := dnstxttest.Start(t)
	idp := upstreamtest.Start(t)
	srv := startOrgServer(t, backend, apitest.WithOwnPublicURL(),
		apitest.WithBootstrap(bootstrap.WithUpstreamHTTPClient(idp.Client())),
		apitest.WithConfig(func(c *bootstrap.Config) {
			c.DNSResolver = dns.Addr
			c.SSOAllowPrivateIdP = true
			c.AuthReturnURLs = []string{spaOrigin}
			c.OIDC = []bootstrap.OIDCProviderConfig{{Name: "acme", DisplayName: "Acme", Issuer: idp.Issuer(),
				ClientID: upstreamtest.ClientID, ClientSecret: upstreamtest.ClientSecret, Scopes: []string{"openid", "email", "profile"}}}
		}))
	return srv, dns, idp
}

// ssoStart opens the connection's start route in b and returns where it
// sent the browser.
func (b *pageBrowser) ssoStart(t *testing.T, connection, returnTo string) pageAnswer {
	t.Helper()
	path := "/api/v1/auth/sso/" + connection + "/start"
	if returnTo != "" {
		path += "?return_to=" + url.QueryEscape(returnTo)
	}
	a := b.send(t, "GET", path, nil)
	if a.status != http.StatusSeeOther {
		t.Fatalf("sso start: %d %s", a.status, a.body)
	}
	return a
}

// ssoSignIn runs the whole browser flow as u and returns the callback's
// answer and the callback URL (to replay it).
func (b *pageBrowser) ssoSignIn(t *testing.T, idp *upstreamtest.Server, connection, returnTo string, u upstreamtest.User) (pageAnswer, string) {
	t.Helper()
	idp.SignInAs(u)
	back := approve(t, idp, b.ssoStart(t, connection, returnTo).header.Get("Location"))
	return b.follow(t, back), back
}

func membersOf(t *testing.T, srv *apitest.Server, org string, owner orgAccount) []memberView {
	t.Helper()
	var out []memberView
	expect(t, srv.Do(t, "GET", "/api/v1/organizations/"+org+"/members?limit=100", nil, owner.token), http.StatusOK).Decode(t, &out)
	return out
}

func roleOfUser(members []memberView, user string) string {
	for _, m := range members {
		if m.UserID == user {
			return m.Role
		}
	}
	return ""
}

type discovered struct {
	SSO        bool `json:"sso"`
	Connection *struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		Type     string `json:"type"`
		Enforce  bool   `json:"enforce"`
		StartURL string `json:"start_url"`
	} `json:"connection"`
}

// orgLogin signs email in by password and returns its user id.
func orgLogin(t *testing.T, srv *apitest.Server, email string) string {
	t.Helper()
	return login(t, srv, orgAccount{email: email}).id
}

func discover(t *testing.T, srv *apitest.Server, email string) discovered {
	t.Helper()
	var d discovered
	expect(t, srv.Do(t, "POST", "/api/v1/auth/sso/discover", map[string]any{"email": email}, ""), http.StatusOK).Decode(t, &d)
	return d
}

func TestSSOSignIn_JustInTimeMembersRefusalsReplayAndEnforcementOnBothBackends(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv, dns, idp := ssoSignInServer(t, backend)
			owner := signUp(t, srv, "owner")
			org := createOrg(t, srv, owner, map[string]any{"name": "Corp"})
			domain := verifiedDomain(t, srv, dns, org.ID, owner)
			conn := createConnection(t, srv, idp, org.ID, owner, map[string]any{"domains": []string{domain}, "default_role": "admin"})
			connPath := "/api/v1/organizations/" + org.ID + "/sso-connections/" + conn.ID
			audit := func() string {
				return string(expect(t, srv.Do(t, "GET", "/api/v1/organizations/"+org.ID+"/audit-logs?limit=100", nil, owner.token), http.StatusOK).Body)
			}

			t.Run("the start route sends the browser to the IdP with PKCE, nonce and state, bound to the browser", func(t *testing.T) {
				b := newPageBrowser(t, srv)
				a := b.ssoStart(t, conn.ID, "")
				loc, err := url.Parse(a.header.Get("Location"))
				if err != nil || !strings.HasPrefix(loc.String(), idp.Issuer()+"/authorize") {
					t.Fatalf("start went to %s", a.header.Get("Location"))
				}
				q := loc.Query()
				if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || len(q.Get("state")) < 43 ||
					q.Get("redirect_uri") != conn.RedirectURI || q.Get("client_id") != upstreamtest.ClientID {
					t.Fatalf("authorization request %v", q)
				}
				if !strings.Contains(a.header.Get("Set-Cookie"), "authy_sso=") || !strings.Contains(a.header.Get("Set-Cookie"), "HttpOnly") {
					t.Fatalf("no binding cookie: %v", a.header.Values("Set-Cookie"))
				}
			})

			var alice string
			aliceSub := "corp-" + testenv.Unique()
			aliceEmail := "alice-" + testenv.Unique() + "@" + domain
			t.Run("a first sign-in opens a verified account, links it and makes it a member with the default role", func(t *testing.T) {
				b := newPageBrowser(t, srv)
				a, back := b.ssoSignIn(t, idp, conn.ID, "", upstreamtest.User{Subject: aliceSub, Email: strings.ToUpper(aliceEmail), EmailVerified: false, Name: "Alice"})
				wantRedirect(t, a, "/account")
				me := meOf(t, srv, b.session())
				if me.Email != aliceEmail || !me.EmailVerified {
					t.Fatalf("me %+v", me)
				}
				alice = me.ID
				if role := roleOfUser(membersOf(t, srv, org.ID, owner), alice); role != "admin" {
					t.Fatalf("alice's role %q", role)
				}
				sessions := string(srv.Do(t, "GET", "/api/v1/auth/sessions", nil, b.session()).Body)
				if !strings.Contains(sessions, `"auth_method":"sso-oidc:`+conn.ID+`"`) || !strings.Contains(sessions, `"amr":["fed"]`) {
					t.Fatalf("sessions %s", sessions)
				}
				// The token request carried the PKCE verifier.
				reqs := idp.TokenRequests()
				if len(reqs) == 0 || reqs[len(reqs)-1].Get("code_verifier") == "" {
					t.Fatalf("token requests %v", reqs)
				}
				log := audit()
				for _, action := range []string{"auth.sso.user_provisioned", "auth.sso.succeeded", "organization.member.added"} {
					if !strings.Contains(log, action) {
						t.Errorf("no %s record", action)
					}
				}

				// The callback is single use: replaying it changes nothing.
				again := b.follow(t, back)
				wantRedirect(t, again, "/login?error=sso.state_invalid")
				if !strings.Contains(newPageBrowser(t, srv).send(t, "GET", "/login?error=sso.state_invalid", nil).body, "not valid or was already used") {
					t.Fatal("the sign-in page does not explain the replay")
				}
			})

			t.Run("a later sign-in of the same subject opens the same account and keeps its role", func(t *testing.T) {
				b := newPageBrowser(t, srv)
				a, _ := b.ssoSignIn(t, idp, conn.ID, "/account?tab=sessions", upstreamtest.User{Subject: aliceSub, Email: aliceEmail, Name: "Alice B"})
				wantRedirect(t, a, "/account?tab=sessions")
				if me := meOf(t, srv, b.session()); me.ID != alice {
					t.Fatalf("another account: %+v", me)
				}
				if n := len(membersOf(t, srv, org.ID, owner)); n != 2 {
					t.Fatalf("%d members", n)
				}
			})

			t.Run("a single-page app gets a one-time login code instead of the cookie", func(t *testing.T) {
				b := newPageBrowser(t, srv)
				a, _ := b.ssoSignIn(t, idp, conn.ID, spaOrigin+"/callback", upstreamtest.User{Subject: aliceSub, Email: aliceEmail})
				loc, err := url.Parse(a.header.Get("Location"))
				if a.status != http.StatusSeeOther || err != nil || loc.Host != "app.example.com" || loc.Query().Get("login_code") == "" || b.session() != "" {
					t.Fatalf("callback %d %s", a.status, a.header.Get("Location"))
				}
				var ex struct {
					Token   string `json:"token"`
					Session struct {
						AuthMethod string `json:"auth_method"`
					} `json:"session"`
				}
				expect(t, srv.Do(t, "POST", "/api/v1/auth/external/exchange", map[string]any{"login_code": loc.Query().Get("login_code")}, ""), http.StatusOK).Decode(t, &ex)
				if ex.Session.AuthMethod != "sso-oidc:"+conn.ID || meOf(t, srv, ex.Token).ID != alice {
					t.Fatalf("exchange %+v", ex)
				}
				// A refusal goes back to the app's registered target with the code.
				a, _ = b.ssoSignIn(t, idp, conn.ID, spaOrigin+"/callback", upstreamtest.User{Subject: "x-" + testenv.Unique(), Email: "x@elsewhere.example"})
				wantRedirect(t, a, spaOrigin+"/callback?error=sso.email_outside_domains")
				// A target on an origin nobody registered is dropped: no open redirect.
				a, _ = b.ssoSignIn(t, idp, conn.ID, "https://evil.example/steal", upstreamtest.User{Subject: aliceSub, Email: aliceEmail})
				wantRedirect(t, a, "/account")
				a, _ = b.ssoSignIn(t, idp, conn.ID, "//evil.example/steal", upstreamtest.User{Subject: aliceSub, Email: aliceEmail})
				wantRedirect(t, a, "/account")
			})

			t.Run("refusals create nothing, explain themselves on the sign-in page and are audited", func(t *testing.T) {
				outside := "eve-" + testenv.Unique() + "@elsewhere.example"
				b := newPageBrowser(t, srv)
				a, _ := b.ssoSignIn(t, idp, conn.ID, "", upstreamtest.User{Subject: "eve-" + testenv.Unique(), Email: outside, EmailVerified: true})
				wantRedirect(t, a, "/login?error=sso.email_outside_domains")
				if b.session() != "" {
					t.Fatal("a session after a refusal")
				}
				if page := b.send(t, "GET", a.header.Get("Location"), nil); !strings.Contains(page.body, "not in a domain of this organization") {
					t.Fatalf("the page does not explain it:\n%s", page.body)
				}
				// No account was opened for the address: it can still register.
				expect(t, srv.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": outside, "password": orgPassword, "name": "Eve"}, ""), http.StatusCreated)
				// A subdomain is another domain.
				a, _ = b.ssoSignIn(t, idp, conn.ID, "", upstreamtest.User{Subject: "sub-" + testenv.Unique(), Email: "x@hr." + domain})
				wantRedirect(t, a, "/login?error=sso.email_outside_domains")

				// The IdP refusing, a forged ID token, a wrong nonce.
				idp.Deny()
				a, _ = b.ssoSignIn(t, idp, conn.ID, "", upstreamtest.User{Subject: "x"})
				wantRedirect(t, a, "/login?error=sso.consent_denied")
				forged := "forged-" + testenv.Unique() + "@" + domain
				idp.ForgeSignature()
				a, _ = b.ssoSignIn(t, idp, conn.ID, "", upstreamtest.User{Subject: "f-" + testenv.Unique(), Email: forged})
				wantRedirect(t, a, "/login?error=sso.token_invalid")
				idp.WrongNonce()
				a, _ = b.ssoSignIn(t, idp, conn.ID, "", upstreamtest.User{Subject: "n-" + testenv.Unique(), Email: forged})
				wantRedirect(t, a, "/login?error=sso.token_invalid")
				if n := len(membersOf(t, srv, org.ID, owner)); n != 2 {
					t.Fatalf("%d members after refusals", n)
				}

				// The callback in another browser than the one that started.
				idp.SignInAs(upstreamtest.User{Subject: aliceSub, Email: aliceEmail})
				back := approve(t, idp, b.ssoStart(t, conn.ID, "").header.Get("Location"))
				other := newPageBrowser(t, srv)
				wantRedirect(t, other.follow(t, back), "/login?error=sso.browser_mismatch")
				// ...which spent the state: the right browser cannot use it now.
				wantRedirect(t, b.follow(t, back), "/login?error=sso.state_invalid")
				// A made-up state, and one for another connection's callback.
				wantRedirect(t, b.send(t, "GET", "/api/v1/auth/sso/"+conn.ID+"/callback?state=made-up&code=x", nil), "/login?error=sso.state_invalid")
				back = approve(t, idp, b.ssoStart(t, conn.ID, "").header.Get("Location"))
				wantRedirect(t, b.send(t, "GET", strings.Replace(pathOf(t, back), conn.ID, uuid.NewString(), 1), nil), "/login?error=sso.state_invalid")

				// An account that holds the address without having verified it
				// is not handed to the IdP's person.
				squatter := "squat-" + testenv.Unique() + "@" + domain
				expect(t, srv.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": squatter, "password": orgPassword, "name": "Squatter"}, ""), http.StatusCreated)
				a, _ = b.ssoSignIn(t, idp, conn.ID, "", upstreamtest.User{Subject: "sq-" + testenv.Unique(), Email: squatter})
				wantRedirect(t, a, "/login?error=sso.account_exists")

				// Unknown and deleted connections, and a malformed id.
				wantRedirect(t, b.send(t, "GET", "/api/v1/auth/sso/"+uuid.NewString()+"/start", nil), "/login?error=sso.connection_unavailable")
				wantRedirect(t, b.send(t, "GET", "/api/v1/auth/sso/not-an-id/start", nil), "/login?error=sso.connection_unavailable")

				log := audit()
				for _, reason := range []string{"email_outside_domains", "consent_denied", "token_invalid", "browser_mismatch", "account_exists"} {
					if !strings.Contains(log, `"reason":"`+reason+`"`) {
						t.Errorf("no auth.sso.failed record with reason %s", reason)
					}
				}
			})

			t.Run("an existing account that verified its address joins the organization", func(t *testing.T) {
				email := "bob-" + testenv.Unique() + "@" + domain
				expect(t, srv.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": email, "password": orgPassword, "name": "Bob"}, ""), http.StatusCreated)
				verifyEmailOf(t, srv, email)
				bob := orgLogin(t, srv, email)
				b := newPageBrowser(t, srv)
				a, _ := b.ssoSignIn(t, idp, conn.ID, "", upstreamtest.User{Subject: "bob-" + testenv.Unique(), Email: email})
				wantRedirect(t, a, "/account")
				if me := meOf(t, srv, b.session()); me.ID != bob {
					t.Fatalf("bob became %+v", me)
				}
				if role := roleOfUser(membersOf(t, srv, org.ID, owner), bob); role != "admin" {
					t.Fatalf("bob's role %q", role)
				}
			})

			t.Run("discovery names the connection for its domain and answers the same shape for any other address", func(t *testing.T) {
				d := discover(t, srv, "Someone.New@"+strings.ToUpper(domain))
				if !d.SSO || d.Connection == nil || d.Connection.ID != conn.ID || d.Connection.Type != "oidc" || d.Connection.Enforce ||
					d.Connection.StartURL != "/api/v1/auth/sso/"+conn.ID+"/start" {
					t.Fatalf("discovered %+v", d)
				}
				for _, email := range []string{owner.email, "nobody@unknown-" + testenv.Unique() + ".example", "not an address", "x@hr." + domain} {
					res := expect(t, srv.Do(t, "POST", "/api/v1/auth/sso/discover", map[string]any{"email": email}, ""), http.StatusOK)
					if !strings.Contains(string(res.Body), `"data":{"sso":false,"connection":null}`) {
						t.Errorf("%s: %s", email, res.Body)
					}
				}
				wantCode(t, srv.Do(t, "POST", "/api/v1/auth/sso/discover", map[string]any{"email": ""}, ""), http.StatusBadRequest, "sso.invalid_input")
				if res := srv.Do(t, "POST", "/api/v1/auth/sso/discover", map[string]any{"email": "a@b.c", "extra": 1}, ""); res.Status != http.StatusBadRequest {
					t.Errorf("an unknown field: %d", res.Status)
				}
			})

			t.Run("the sign-in page continues with SSO for the domain's addresses and keeps the password for others", func(t *testing.T) {
				b := newPageBrowser(t, srv)
				form := b.send(t, "GET", "/login?return_to="+url.QueryEscape("/account?from=sso"), nil)
				if !strings.Contains(form.body, `id="sso-submit" formaction="/login/sso" formnovalidate`) {
					t.Fatalf("no SSO button:\n%s", form.body)
				}
				post := func(email string) pageAnswer {
					return b.send(t, "POST", "/login/sso", url.Values{"email": {email}, "password": {""}, "csrf_token": {formToken(t, form)},
						"return_to": {"/account?from=sso"}})
				}
				page := post(aliceEmail)
				want := `href="/api/v1/auth/sso/` + conn.ID + `/start?return_to=%2Faccount%3Ffrom%3Dsso"`
				if page.status != http.StatusOK || !strings.Contains(page.body, want) || !strings.Contains(page.body, "Continue with Corp IdP") {
					t.Fatalf("SSO step %d:\n%s", page.status, page.body)
				}
				idp.SignInAs(upstreamtest.User{Subject: aliceSub, Email: aliceEmail})
				start := b.send(t, "GET", "/api/v1/auth/sso/"+conn.ID+"/start?return_to="+url.QueryEscape("/account?from=sso"), nil)
				wantRedirect(t, b.follow(t, approve(t, idp, start.header.Get("Location"))), "/account?from=sso")
				if me := meOf(t, srv, b.session()); me.ID != alice {
					t.Fatalf("signed in as %+v", me)
				}
				other := post(owner.email)
				if other.status != http.StatusOK || !strings.Contains(other.body, "No single sign-on is set up for this address") || strings.Contains(other.body, "sso-continue") {
					t.Fatalf("an address without SSO %d:\n%s", other.status, other.body)
				}
				if empty := post(""); empty.status != http.StatusBadRequest {
					t.Fatalf("no address: %d", empty.status)
				}
				forged := b.send(t, "POST", "/login/sso", url.Values{"email": {aliceEmail}, "password": {""}, "csrf_token": {"forged"}})
				if forged.status != http.StatusForbidden || strings.Contains(forged.body, "sso-continue") {
					t.Fatalf("a forged CSRF token: %d", forged.status)
				}
			})

			t.Run("enforce refuses password and social sign-in of the domain's addresses, with sso.required", func(t *testing.T) {
				email := "carol-" + testenv.Unique() + "@" + domain
				expect(t, srv.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": email, "password": orgPassword, "name": "Carol"}, ""), http.StatusCreated)
				orgLogin(t, srv, email)
				expect(t, srv.Do(t, "PATCH", connPath, map[string]any{"enforce": true}, owner.token), http.StatusOK)
				if d := discover(t, srv, email); !d.SSO || !d.Connection.Enforce {
					t.Fatalf("discovered %+v", d)
				}
				// The right password, a wrong one and an unknown address of the
				// domain get the same answer: it depends on the domain alone.
				for _, try := range []struct{ email, password string }{{email, orgPassword}, {email, "wrong-password-1"}, {"nobody-" + testenv.Unique() + "@" + domain, orgPassword}} {
					wantCode(t, srv.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": try.email, "password": try.password}, ""), http.StatusForbidden, "sso.required")
				}
				// Others sign in by password as before.
				orgLogin(t, srv, owner.email)

				// The sign-in page says so.
				page := newPageBrowser(t, srv).signInPage(t, email, orgPassword, "")
				if page.status != http.StatusForbidden || !strings.Contains(page.body, "single sign-on") ||
					!strings.Contains(page.body, `id="sso-continue" href="/api/v1/auth/sso/`+conn.ID+`/start"`) {
					t.Fatalf("sign-in page %d:\n%s", page.status, page.body)
				}

				// A social sign-in of the address is refused too, and opens nothing.
				b := newPageBrowser(t, srv)
				social := b.externalSignIn(t, idp, "acme", "", upstreamtest.User{Subject: "soc-" + testenv.Unique(), Email: "dave-" + testenv.Unique() + "@" + domain, EmailVerified: true})
				wantRedirect(t, social, "/login?error=sso.required")
				if b.session() != "" {
					t.Fatal("a social session for an enforced address")
				}
				// SSO itself still signs the domain's people in.
				a, _ := b.ssoSignIn(t, idp, conn.ID, "", upstreamtest.User{Subject: aliceSub, Email: aliceEmail})
				wantRedirect(t, a, "/account")
				if !strings.Contains(audit(), "auth.sso.required") {
					t.Error("no auth.sso.required record")
				}
			})

			t.Run("a disabled connection signs nobody in and enforces nothing; a deleted one is unavailable", func(t *testing.T) {
				b := newPageBrowser(t, srv)
				idp.SignInAs(upstreamtest.User{Subject: aliceSub, Email: aliceEmail})
				back := approve(t, idp, b.ssoStart(t, conn.ID, "").header.Get("Location"))
				var changed ssoConnectionView
				expect(t, srv.Do(t, "PATCH", connPath, map[string]any{"enabled": false}, owner.token), http.StatusOK).Decode(t, &changed)
				// A flow started before it was switched off cannot finish.
				wantRedirect(t, b.follow(t, back), "/login?error=sso.connection_disabled")
				wantRedirect(t, b.send(t, "GET", "/api/v1/auth/sso/"+conn.ID+"/start", nil), "/login?error=sso.connection_disabled")
				if d := discover(t, srv, aliceEmail); d.SSO {
					t.Fatalf("a disabled connection is discovered: %+v", d)
				}
				expect(t, srv.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": "nobody-" + testenv.Unique() + "@" + domain, "password": orgPassword}, ""), http.StatusUnauthorized)

				expect(t, srv.Do(t, "PATCH", connPath, map[string]any{"enabled": true}, owner.token), http.StatusOK)
				back = approve(t, idp, b.ssoStart(t, conn.ID, "").header.Get("Location"))
				expect(t, srv.Do(t, "DELETE", connPath, nil, owner.token), http.StatusOK)
				wantRedirect(t, b.follow(t, back), "/login?error=sso.state_invalid")
				wantRedirect(t, b.send(t, "GET", "/api/v1/auth/sso/"+conn.ID+"/start", nil), "/login?error=sso.connection_unavailable")
				if !strings.Contains(audit(), `"reason":"connection_disabled"`) {
					t.Error("no record of the refusal by a disabled connection")
				}
			})
		})
	}
}

// The OpenID Provider's login step: a relying party sends the browser to
// /login, which continues the parked request; signing in there through an
// SSO connection ends at the relying party's callback with a code whose ID
// token names the new member, amr fed (and mfa, acr mfa, from a connection
// vouching for its provider's MFA).
func TestSSOSignIn_TheOpenIDProvidersLoginStepContinuesThroughAConnection(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			dns := dnstxttest.Start(t)
			idp := upstreamtest.Start(t)
			e := newOAuthEnv(t, backend, apitest.WithConfig(func(c *bootstrap.Config) {
				c.DNSResolver = dns.Addr
				c.SSOAllowPrivateIdP = true
			}))
			owner := orgAccount{token: e.owner}
			domain := verifiedDomain(t, e.srv, dns, e.org, owner)
			// The organization vouches for its provider's MFA: the ID token
			// says so, and acr_values asking MFA is met without a factor step.
			conn := createConnection(t, e.srv, idp, e.org, owner, map[string]any{"domains": []string{domain}, "idp_enforces_mfa": true})
			r := newRP(t, e, map[string]any{"first_party": true})
			provider, err := oidc.NewProvider(context.Background(), e.srv.URL)
			if err != nil {
				t.Fatalf("discovery: %v", err)
			}
			b := newPageBrowser(t, e.srv)
			pkce := oauth2.GenerateVerifier()
			a := b.send(t, "GET", pathOf(t, r.cfg.AuthCodeURL("state-sso-12345", oauth2.S256ChallengeOption(pkce), oauth2.SetAuthURLParam("acr_values", "urn:authy:acr:mfa"))), nil)
			if a.status != http.StatusSeeOther || !strings.HasPrefix(a.header.Get("Location"), "/login?") {
				t.Fatalf("authorize: %d %s", a.status, a.header.Get("Location"))
			}
			login := b.send(t, "GET", a.header.Get("Location"), nil)
			m := regexp.MustCompile(`name="return_to" value="([^"]+)"`).FindStringSubmatch(login.body)
			if m == nil {
				t.Fatalf("no parked request on the login page:\n%s", login.body)
			}
			returnTo := strings.ReplaceAll(m[1], "&amp;", "&")
			email := "oidc-" + testenv.Unique() + "@" + domain
			back, _ := b.ssoSignIn(t, idp, conn.ID, returnTo, upstreamtest.User{Subject: "op-" + testenv.Unique(), Email: email, Name: "Op Person"})
			wantRedirect(t, back, returnTo)
			q := callback(t, b.send(t, "GET", returnTo, nil))
			if q.Get("code") == "" || q.Get("state") != "state-sso-12345" {
				t.Fatalf("callback %v", q)
			}
			_, _, claims := r.exchange(t, provider.Verifier(&oidc.Config{ClientID: r.id}), q, pkce)
			if claims.Email != email || !claims.EmailVerified || !slices.Equal(claims.AMR, []string{"fed", "mfa"}) || claims.ACR != "urn:authy:acr:mfa" {
				t.Fatalf("ID token %+v", claims)
			}
		})
	}
}

// A SAML connection is discovered like an OpenID Connect one, and its
// enforce refuses the password sign-in of its addresses.
func TestSAMLSignIn_DiscoveryNamesTheConnectionAndEnforceRefusesPasswords(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv, dns, _ := ssoServer(t, backend)
			idp := samlssotest.Start(t)
			owner := signUp(t, srv, "owner")
			org := createOrg(t, srv, owner, map[string]any{"name": "Corp"})
			domain := verifiedDomain(t, srv, dns, org.ID, owner)
			c := samlConnectionFor(t, srv, idp, org.ID, owner, domain, map[string]any{"enforce": true})
			email := "sam-" + testenv.Unique() + "@" + domain
			d := discover(t, srv, email)
			if !d.SSO || d.Connection == nil || d.Connection.ID != c.ID || d.Connection.Type != "saml" || !d.Connection.Enforce ||
				d.Connection.StartURL != "/api/v1/auth/sso/"+c.ID+"/start" {
				t.Fatalf("discovered %+v", d)
			}
			expect(t, srv.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": email, "password": orgPassword, "name": "Sam"}, ""), http.StatusCreated)
			wantCode(t, srv.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": orgPassword}, ""), http.StatusForbidden, "sso.required")
		})
	}
}
