//go:build integration

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/secuird/authy/adapters/upstream/oauthproviders/upstreamtest"
	"github.com/secuird/authy/bootstrap"
	"github.com/secuird/authy/tests/apitest"
	"github.com/secuird/authy/tests/testenv"
)

const spaOrigin = "https://app.example.com"

// socialServer boots a server with every kind of provider enabled against
// one loopback fake, and a clock the test moves.
func socialServer(t *testing.T, backend apitest.Backend) (*apitest.Server, *upstreamtest.Server, *sessClock) {
	t.Helper()
	fake := upstreamtest.Start(t)
	clock := newSessClock(time.Now())
	srv := apitest.Start(t, backend, apitest.WithOwnPublicURL(), apitest.WithClock(clock),
		apitest.WithBootstrap(bootstrap.WithUpstreamHTTPClient(fake.Client())),
		apitest.WithConfig(func(c *bootstrap.Config) {
			c.GoogleClientID, c.GoogleClientSecret = upstreamtest.ClientID, upstreamtest.ClientSecret
			c.GitHubClientID, c.GitHubClientSecret = upstreamtest.ClientID, upstreamtest.ClientSecret
			c.MicrosoftClientID, c.MicrosoftClientSecret = upstreamtest.ClientID, upstreamtest.ClientSecret
			c.OIDC = []bootstrap.OIDCProviderConfig{{Name: "acme", DisplayName: "Acme SSO", Issuer: fake.Issuer(),
				ClientID: upstreamtest.ClientID, ClientSecret: upstreamtest.ClientSecret, Scopes: []string{"openid", "email", "profile"}}}
			c.AuthReturnURLs = []string{spaOrigin}
		}))
	return srv, fake, clock
}

// startExternal opens the start route in b and returns the provider URL.
func (b *pageBrowser) startExternal(t *testing.T, provider, returnTo string) string {
	t.Helper()
	path := "/api/v1/auth/external/" + provider
	if returnTo != "" {
		path += "?return_to=" + url.QueryEscape(returnTo)
	}
	a := b.send(t, "GET", path, nil)
	if a.status != http.StatusSeeOther {
		t.Fatalf("start %s: %d %s", provider, a.status, a.body)
	}
	return a.header.Get("Location")
}

// follow opens an absolute URL of the server in b.
func (b *pageBrowser) follow(t *testing.T, absolute string) pageAnswer {
	t.Helper()
	u, err := url.Parse(absolute)
	if err != nil {
		t.Fatal(err)
	}
	return b.send(t, "GET", u.RequestURI(), nil)
}

// approve has the fake provider approve the authorization and returns the
// callback URL it sends the browser back to.
func approve(t *testing.T, fake *upstreamtest.Server, authURL string) string {
	t.Helper()
	back, err := fake.ApproveURL(authURL)
	if err != nil {
		t.Fatalf("approve %s: %v", authURL, err)
	}
	return back
}

// externalSignIn runs the whole browser flow and returns the callback's
// answer.
func (b *pageBrowser) externalSignIn(t *testing.T, fake *upstreamtest.Server, provider, returnTo string, as upstreamtest.User) pageAnswer {
	t.Helper()
	fake.SignInAs(as)
	return b.follow(t, approve(t, fake, b.startExternal(t, provider, returnTo)))
}

func wantRedirect(t *testing.T, a pageAnswer, want string) {
	t.Helper()
	if a.status != http.StatusSeeOther || a.header.Get("Location") != want {
		t.Fatalf("want a redirect to %s, got %d %s %s", want, a.status, a.header.Get("Location"), a.body)
	}
}

type meView struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
}

func meOf(t *testing.T, srv *apitest.Server, token string) meView {
	t.Helper()
	res := srv.Do(t, "GET", "/api/v1/auth/me", nil, token)
	if res.Status != http.StatusOK {
		t.Fatalf("me: %d %s", res.Status, res.Body)
	}
	var v meView
	res.Decode(t, &v)
	return v
}

type identityView struct {
	ID       string `json:"id"`
	Provider string `json:"provider"`
	Subject  string `json:"subject"`
	Email    string `json:"email"`
}

func identitiesOf(t *testing.T, srv *apitest.Server, token string) []identityView {
	t.Helper()
	res := srv.Do(t, "GET", "/api/v1/users/me/identities", nil, token)
	if res.Status != http.StatusOK {
		t.Fatalf("identities: %d %s", res.Status, res.Body)
	}
	var out []identityView
	res.Decode(t, &out)
	return out
}

func unique(label string) string { return fmt.Sprintf("%s-%s@example.com", label, testenv.Unique()) }

func TestSocial_SignInLinkingAndRefusalsOnBothBackends(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv, fake, clock := socialServer(t, backend)

			t.Run("the providers are listed and offered on the sign-in page", func(t *testing.T) {
				res := srv.Do(t, "GET", "/api/v1/auth/providers", nil, "")
				for _, want := range []string{`"name":"google"`, `"name":"github"`, `"name":"microsoft"`, `"name":"acme","display_name":"Acme SSO","kind":"oidc"`} {
					if !strings.Contains(string(res.Body), want) {
						t.Errorf("providers lack %s: %s", want, res.Body)
					}
				}
				page := newPageBrowser(t, srv).send(t, "GET", "/login", nil)
				if !strings.Contains(page.body, `href="/api/v1/auth/external/acme"`) {
					t.Fatalf("no button for acme:\n%s", page.body)
				}
			})

			t.Run("a new Google user gets an account and a cookie session", func(t *testing.T) {
				b := newPageBrowser(t, srv)
				email := unique("ada")
				a := b.externalSignIn(t, fake, "google", "/account", upstreamtest.User{Subject: "g-" + testenv.Unique(), Email: email, EmailVerified: true, Name: "Ada"})
				wantRedirect(t, a, "/account")
				me := meOf(t, srv, b.session())
				if me.Email != email || !me.EmailVerified {
					t.Fatalf("me %+v", me)
				}
				res := srv.Do(t, "GET", "/api/v1/auth/sessions", nil, b.session())
				if !strings.Contains(string(res.Body), `"auth_method":"social:google"`) || !strings.Contains(string(res.Body), `"amr":["fed"]`) {
					t.Fatalf("sessions %s", res.Body)
				}
				// The provider's token request carried the PKCE verifier.
				reqs := fake.TokenRequests()
				if reqs[len(reqs)-1].Get("code_verifier") == "" {
					t.Fatal("no PKCE verifier sent to Google")
				}
				// Its only way in cannot be removed.
				ids := identitiesOf(t, srv, b.session())
				del := srv.Do(t, "DELETE", "/api/v1/users/me/identities/"+ids[0].ID, nil, b.session())
				if del.Status != http.StatusConflict || !strings.Contains(string(del.Body), "federation.last_sign_in_method") {
					t.Fatalf("last method: %d %s", del.Status, del.Body)
				}
				audit := srv.Do(t, "GET", "/api/v1/users/me/audit-logs", nil, b.session())
				for _, action := range []string{"auth.register.external", "user.identity.linked", "auth.external.succeeded"} {
					if !strings.Contains(string(audit.Body), action) {
						t.Errorf("no %s record: %s", action, audit.Body)
					}
				}
			})

			t.Run("an OIDC sign-in links to the account with the same verified email", func(t *testing.T) {
				bob := signUp(t, srv, "bob")
				b := newPageBrowser(t, srv)
				a := b.externalSignIn(t, fake, "acme", "", upstreamtest.User{Subject: "acme|" + testenv.Unique(), Email: strings.ToUpper(bob.email), EmailVerified: true, Name: "Bob"})
				wantRedirect(t, a, "/account")
				if me := meOf(t, srv, b.session()); me.ID != bob.id {
					t.Fatalf("signed in as %+v, want %s", me, bob.id)
				}
				if ids := identitiesOf(t, srv, bob.token); len(ids) != 1 || ids[0].Provider != "acme" {
					t.Fatalf("identities %+v", ids)
				}
			})

			t.Run("an unverified email on either side links nothing", func(t *testing.T) {
				carol := unique("carol")
				res := srv.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": carol, "password": orgPassword, "name": "Carol"}, "")
				if res.Status != http.StatusCreated {
					t.Fatalf("register: %d %s", res.Status, res.Body)
				}
				b := newPageBrowser(t, srv)
				a := b.externalSignIn(t, fake, "google", "/account", upstreamtest.User{Subject: "g-" + testenv.Unique(), Email: carol, EmailVerified: true})
				wantRedirect(t, a, "/login?error=federation.link_requires_sign_in&return_to=%2Faccount")
				if b.session() != "" {
					t.Fatal("a refused link signed the browser in")
				}
				login := b.follow(t, srv.URL+a.header.Get("Location"))
				if !strings.Contains(login.body, "Sign in with its password first, then link this provider") {
					t.Fatalf("the sign-in page does not explain it:\n%s", login.body)
				}
				// Microsoft's address is never verified, even for a verified account.
				dave := signUp(t, srv, "dave")
				a = b.externalSignIn(t, fake, "microsoft", "", upstreamtest.User{Subject: "ms-" + testenv.Unique(), Email: dave.email, EmailVerified: true})
				wantRedirect(t, a, "/login?error=federation.link_requires_sign_in")
				if ids := identitiesOf(t, srv, dave.token); len(ids) != 0 {
					t.Fatalf("linked %+v", ids)
				}
			})

			t.Run("a signed-in user links GitHub explicitly, and unlinks it", func(t *testing.T) {
				erin := signUp(t, srv, "erin")
				b := newPageBrowser(t, srv)
				authURL := b.linkStart(t, erin.token, "github")
				fake.SignInAs(upstreamtest.User{Subject: fmt.Sprint(time.Now().UnixNano() % 1e9), Email: "other-" + erin.email, EmailVerified: true})
				callback := approve(t, fake, authURL)
				wantRedirect(t, b.follow(t, callback), "/account")
				ids := identitiesOf(t, srv, erin.token)
				if len(ids) != 1 || ids[0].Provider != "github" {
					t.Fatalf("identities %+v", ids)
				}
				// The same GitHub account cannot be linked to someone else.
				frank := signUp(t, srv, "frank")
				fb := newPageBrowser(t, srv)
				u, _ := url.Parse(callback)
				fake.SignInAs(upstreamtest.User{Subject: ids[0].Subject, Email: "x-" + frank.email})
				wantRedirect(t, fb.follow(t, approve(t, fake, fb.linkStart(t, frank.token, "github"))), "/account?error=federation.identity_taken")
				_ = u
				// Erin has a password: the identity may go.
				del := srv.Do(t, "DELETE", "/api/v1/users/me/identities/"+ids[0].ID, nil, erin.token)
				if del.Status != http.StatusOK {
					t.Fatalf("unlink: %d %s", del.Status, del.Body)
				}
				if left := identitiesOf(t, srv, erin.token); len(left) != 0 {
					t.Fatalf("left %+v", left)
				}
			})

			t.Run("a callback is spent by its first use and refused in another browser", func(t *testing.T) {
				b := newPageBrowser(t, srv)
				fake.SignInAs(upstreamtest.User{Subject: "g-" + testenv.Unique(), Email: unique("gina"), EmailVerified: true})
				callback := approve(t, fake, b.startExternal(t, "google", ""))
				wantRedirect(t, b.follow(t, callback), "/account")
				wantRedirect(t, b.follow(t, callback), "/login?error=federation.state_invalid")

				attacker, victim := newPageBrowser(t, srv), newPageBrowser(t, srv)
				fake.SignInAs(upstreamtest.User{Subject: "g-" + testenv.Unique(), Email: unique("mallory"), EmailVerified: true})
				planted := approve(t, fake, attacker.startExternal(t, "google", ""))
				wantRedirect(t, victim.follow(t, planted), "/login?error=federation.browser_mismatch")
				if victim.session() != "" {
					t.Fatal("a planted callback signed the victim's browser in")
				}
				wantRedirect(t, attacker.follow(t, planted), "/login?error=federation.state_invalid")
			})

			t.Run("provider errors, a forged ID token, a wrong nonce and an expired state create nothing", func(t *testing.T) {
				b := newPageBrowser(t, srv)
				fake.Deny()
				wantRedirect(t, b.follow(t, approve(t, fake, b.startExternal(t, "acme", ""))), "/login?error=federation.consent_denied")
				fake.SignInAs(upstreamtest.User{Subject: "acme|forged", Email: unique("forged"), EmailVerified: true})
				fake.ForgeSignature()
				wantRedirect(t, b.follow(t, approve(t, fake, b.startExternal(t, "acme", ""))), "/login?error=federation.token_invalid")
				fake.SignInAs(upstreamtest.User{Subject: "acme|nonce", Email: unique("nonce"), EmailVerified: true})
				fake.WrongNonce()
				wantRedirect(t, b.follow(t, approve(t, fake, b.startExternal(t, "acme", ""))), "/login?error=federation.token_invalid")
				late := approve(t, fake, b.startExternal(t, "acme", ""))
				clock.Advance(11 * time.Minute)
				wantRedirect(t, b.follow(t, late), "/login?error=federation.state_expired")
				if b.session() != "" {
					t.Fatal("a refused callback signed in")
				}
				wantRedirect(t, b.follow(t, srv.URL+"/api/v1/auth/external/nope"), "/login?error=federation.unknown_provider")
			})

			t.Run("a single-page app gets a login code that works once", func(t *testing.T) {
				b := newPageBrowser(t, srv)
				email := unique("spa")
				a := b.externalSignIn(t, fake, "acme", spaOrigin+"/callback", upstreamtest.User{Subject: "acme|" + testenv.Unique(), Email: email, EmailVerified: true})
				loc, err := url.Parse(a.header.Get("Location"))
				if a.status != http.StatusSeeOther || err != nil || loc.Host != "app.example.com" || loc.Query().Get("login_code") == "" {
					t.Fatalf("%d %s", a.status, a.header.Get("Location"))
				}
				if b.session() != "" || strings.Contains(a.header.Get("Location"), "token") {
					t.Fatal("a token or a cookie went to the single-page app's browser")
				}
				code := loc.Query().Get("login_code")
				res := srv.Do(t, "POST", "/api/v1/auth/external/exchange", map[string]any{"login_code": code}, "")
				if res.Status != http.StatusOK {
					t.Fatalf("exchange: %d %s", res.Status, res.Body)
				}
				var out struct {
					Token string `json:"token"`
				}
				res.Decode(t, &out)
				if me := meOf(t, srv, out.Token); me.Email != email {
					t.Fatalf("me %+v", me)
				}
				again := srv.Do(t, "POST", "/api/v1/auth/external/exchange", map[string]any{"login_code": code}, "")
				if again.Status != http.StatusUnauthorized || !strings.Contains(string(again.Body), "federation.login_code_invalid") {
					t.Fatalf("second exchange: %d %s", again.Status, again.Body)
				}
				// A failure at a single-page app's target says so there.
				fake.Deny()
				wantRedirect(t, b.follow(t, approve(t, fake, b.startExternal(t, "acme", spaOrigin+"/callback"))), spaOrigin+"/callback?error=federation.consent_denied")
			})

			t.Run("proving the address unlinks an identity opened with it by a provider that never vouched", func(t *testing.T) {
				preAccountHijack(t, srv, fake)
			})

			t.Run("proving the address keeps the identity that vouched for it", func(t *testing.T) {
				proofKeepsTheOwnersIdentity(t, srv, fake)
			})

			t.Run("deleting the account frees its identities", func(t *testing.T) {
				b := newPageBrowser(t, srv)
				sub := "g-" + testenv.Unique()
				email := unique("hank")
				wantRedirect(t, b.externalSignIn(t, fake, "google", "", upstreamtest.User{Subject: sub, Email: email, EmailVerified: true}), "/account")
				first := meOf(t, srv, b.session())
				del := srv.Do(t, "DELETE", "/api/v1/users/me", map[string]any{}, b.session())
				if del.Status != http.StatusOK {
					t.Fatalf("delete: %d %s", del.Status, del.Body)
				}
				b2 := newPageBrowser(t, srv)
				wantRedirect(t, b2.externalSignIn(t, fake, "google", "", upstreamtest.User{Subject: sub, Email: email, EmailVerified: true}), "/account")
				if again := meOf(t, srv, b2.session()); again.ID == first.ID {
					t.Fatal("the deleted account's identity still opened it")
				}
			})
		})
	}
}

// linkStart asks to link provider as the bearer of token from b (so b holds
// the binding cookie) and returns the provider URL.
func (b *pageBrowser) linkStart(t *testing.T, token, provider string) string {
	t.Helper()
	req, err := http.NewRequest("POST", b.srv.URL+"/api/v1/users/me/identities/"+provider, bytes.NewReader([]byte(`{"return_to":"/account"}`)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var env struct {
		Data struct {
			AuthorizationURL string `json:"authorization_url"`
		} `json:"data"`
	}
	if err := json.NewDecoder(res.Body).Decode(&env); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("link %s: %d %v", provider, res.StatusCode, err)
	}
	return env.Data.AuthorizationURL
}
