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
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/secuird/authy/bootstrap"
	"github.com/secuird/authy/tests/apitest"
	"github.com/secuird/authy/tests/testenv"
)

// The relying party's registered addresses: nothing listens there, the
// tests read the redirects the server answers.
const (
	rpCallback  = "http://127.0.0.1:9/callback"
	rpLoggedOut = "http://127.0.0.1:9/bye"
)

// rp is a relying party registered in Acme Corp: third-party (so it gets
// the consent page) and confidential, with client_secret_basic.
type rp struct {
	env    oauthEnv
	id     string
	secret string
	cfg    oauth2.Config
}

func newRP(t *testing.T, e oauthEnv, extra map[string]any) rp {
	t.Helper()
	body := map[string]any{
		"name": "Relying Party", "grant_types": []string{"authorization_code", "refresh_token"},
		"redirect_uris": []string{rpCallback}, "post_logout_redirect_uris": []string{rpLoggedOut},
		"scopes": []string{"openid", "profile", "email", "offline_access", "organizations"},
	}
	for k, v := range extra {
		body[k] = v
	}
	c := e.createClient(t, body)
	r := rp{env: e, id: c.ClientID, cfg: oauth2.Config{
		ClientID: c.ClientID, RedirectURL: rpCallback,
		Endpoint: oauth2.Endpoint{AuthURL: e.srv.URL + "/oauth2/authorize", TokenURL: e.srv.URL + "/oauth2/token",
			AuthStyle: oauth2.AuthStyleInHeader},
		Scopes: []string{"openid", "profile", "email", "offline_access", "organizations"},
	}}
	if c.ClientSecret != nil {
		r.secret, r.cfg.ClientSecret = *c.ClientSecret, *c.ClientSecret
	}
	return r
}

// pathOf is the path and query of an absolute URL on the server.
func pathOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.RequestURI()
}

var consentRequest = regexp.MustCompile(`name="request" value="([^"]+)"`)

// callback checks that a answers a redirect to the relying party's
// callback and returns its query.
func callback(t *testing.T, a pageAnswer) url.Values {
	t.Helper()
	loc := a.header.Get("Location")
	if a.status != http.StatusSeeOther && a.status != http.StatusFound {
		t.Fatalf("want a redirect to the callback, got %d %s\n%s", a.status, loc, a.body)
	}
	u, err := url.Parse(loc)
	if err != nil || u.Scheme+"://"+u.Host+u.Path != rpCallback {
		t.Fatalf("redirect to %q, not the callback", loc)
	}
	return u.Query()
}

// authorize runs the browser from the relying party's authorization URL to
// its callback, signing in and consenting as asked, and returns the
// callback's query and whether the consent page showed.
func (b *pageBrowser) authorize(t *testing.T, authURL, email, password string) (url.Values, bool) {
	t.Helper()
	a := b.send(t, "GET", pathOf(t, authURL), nil)
	if loc := a.header.Get("Location"); a.status == http.StatusSeeOther && strings.HasPrefix(loc, "/login?") {
		login := b.send(t, "GET", loc, nil)
		if login.status != http.StatusOK || !strings.Contains(login.header.Get("Content-Security-Policy"), "form-action 'self' http://127.0.0.1:9") {
			t.Fatalf("login page: %d CSP %q", login.status, login.header.Get("Content-Security-Policy"))
		}
		returnTo := regexp.MustCompile(`name="return_to" value="([^"]+)"`).FindStringSubmatch(login.body)
		if returnTo == nil || !strings.HasPrefix(returnTo[1], "/oauth2/authorize/continue?request=") {
			t.Fatalf("the login page does not continue the parked request:\n%s", login.body)
		}
		back := b.send(t, "POST", "/login", url.Values{"email": {email}, "password": {password},
			"csrf_token": {formToken(t, login)}, "return_to": {strings.ReplaceAll(returnTo[1], "&amp;", "&")}})
		if back.status != http.StatusSeeOther {
			t.Fatalf("sign in: %d %s", back.status, back.body)
		}
		a = b.send(t, "GET", back.header.Get("Location"), nil)
	}
	if a.status != http.StatusOK {
		return callback(t, a), false
	}
	m := consentRequest.FindStringSubmatch(a.body)
	if m == nil || !strings.Contains(a.body, `name="decision" value="allow"`) || !strings.Contains(a.body, `name="decision" value="deny"`) {
		t.Fatalf("no consent form (%d):\n%s", a.status, a.body)
	}
	if !strings.Contains(a.header.Get("Content-Security-Policy"), "http://127.0.0.1:9") {
		t.Fatalf("the consent page's form-action does not allow the callback: %q", a.header.Get("Content-Security-Policy"))
	}
	done := b.send(t, "POST", "/oauth2/authorize/consent", url.Values{"csrf_token": {formToken(t, a)}, "request": {m[1]}, "decision": {"allow"}})
	return callback(t, done), true
}

// exchange trades the callback's code (with the PKCE verifier) for tokens
// and returns them with the ID token verified by verifier and its claims.
func (r rp) exchange(t *testing.T, verifier *oidc.IDTokenVerifier, q url.Values, pkce string) (*oauth2.Token, *oidc.IDToken, idClaims) {
	t.Helper()
	ctx := context.Background()
	tok, err := r.cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(pkce))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := verifier.Verify(ctx, raw)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	var cl idClaims
	if err := idt.Claims(&cl); err != nil {
		t.Fatal(err)
	}
	return tok, idt, cl
}

type idClaims struct {
	Sub           string   `json:"sub"`
	Email         string   `json:"email"`
	EmailVerified bool     `json:"email_verified"`
	Name          string   `json:"name"`
	SID           string   `json:"sid"`
	AMR           []string `json:"amr"`
	ACR           string   `json:"acr"`
	AuthTime      int64    `json:"auth_time"`
	Organizations []struct {
		Name string `json:"name"`
		Role string `json:"role"`
	} `json:"organizations"`
}

func TestOIDC_CodeFlowWithPKCEConsentRefreshRotationReplayAndLogout(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			e := newOAuthEnv(t, backend)
			r := newRP(t, e, nil)
			ctx := context.Background()
			provider, err := oidc.NewProvider(ctx, e.srv.URL)
			if err != nil {
				t.Fatalf("discovery: %v", err)
			}
			verifier := provider.Verifier(&oidc.Config{ClientID: r.id})
			b := newPageBrowser(t, e.srv)

			pkce := oauth2.GenerateVerifier()
			q, consented := b.authorize(t, r.cfg.AuthCodeURL("state-one-1234", oauth2.S256ChallengeOption(pkce), oidc.Nonce("nonce-one-1234")),
				"alice@acme-corp.com", "OwnerPass123!")
			if !consented || q.Get("state") != "state-one-1234" || q.Get("code") == "" {
				t.Fatalf("callback %v (consent shown: %v)", q, consented)
			}
			tok, idt, cl := r.exchange(t, verifier, q, pkce)
			raw, _ := tok.Extra("id_token").(string)
			if idt.Nonce != "nonce-one-1234" || idt.VerifyAccessToken(tok.AccessToken) != nil {
				t.Fatalf("nonce %q, at_hash %q", idt.Nonce, idt.AccessTokenHash)
			}
			if cl.Email != "alice@acme-corp.com" || cl.SID == "" || len(cl.AMR) == 0 || cl.AMR[0] != "pwd" || cl.ACR == "" ||
				cl.AuthTime == 0 || len(cl.Organizations) != 1 || cl.Organizations[0].Role != "owner" {
				t.Fatalf("ID token claims %+v", cl)
			}
			info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
			if err != nil || info.Subject != cl.Sub || info.Email != cl.Email {
				t.Fatalf("userinfo %+v %v", info, err)
			}

			// A second request is not asked to consent again.
			pkce2 := oauth2.GenerateVerifier()
			q2, consented := b.authorize(t, r.cfg.AuthCodeURL("state-two-1234", oauth2.S256ChallengeOption(pkce2)), "", "")
			if consented || q2.Get("code") == "" {
				t.Fatalf("the remembered consent was asked again: %v", q2)
			}

			// Refresh rotation, then the rotated token again revokes the grant.
			status, _, body := protocolCall(t, e.srv, "/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, r.id, r.secret)
			next, _ := body["refresh_token"].(string)
			if status != 200 || next == "" || next == tok.RefreshToken || body["id_token"] == nil {
				t.Fatalf("refresh of %q: %d %v", tok.RefreshToken, status, body)
			}
			status, _, body = protocolCall(t, e.srv, "/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, r.id, r.secret)
			if status != 400 || body["error"] != "invalid_grant" {
				t.Fatalf("reused refresh token: %d %v", status, body)
			}
			status, _, body = protocolCall(t, e.srv, "/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {next}}, r.id, r.secret)
			if status != 400 || body["error"] != "invalid_grant" {
				t.Fatalf("the rotated grant's newest refresh token still works after the reuse: %d %v", status, body)
			}

			// The second code, used twice: the second use fails and revokes
			// what the first issued.
			tok2, err := r.cfg.Exchange(ctx, q2.Get("code"), oauth2.VerifierOption(pkce2))
			if err != nil {
				t.Fatalf("exchange 2: %v", err)
			}
			if _, err := r.cfg.Exchange(ctx, q2.Get("code"), oauth2.VerifierOption(pkce2)); err == nil {
				t.Fatal("a used code was exchanged again")
			} else {
				wantOAuthError(t, err, 400, "invalid_grant")
			}
			if got := introspect(t, e.srv, tok2.AccessToken, r.id, r.secret); got["active"] != false {
				t.Fatalf("the replayed code's access token is still active: %v", got)
			}

			// The consent is listed, and revoking it ends the client's grants.
			owner := e.owner
			list := e.srv.Do(t, "GET", "/api/v1/users/me/consents", nil, owner)
			if list.Status != 200 || !strings.Contains(string(list.Body), `"client_id":"`+r.id+`"`) {
				t.Fatalf("consents: %d %s", list.Status, list.Body)
			}
			pkce3 := oauth2.GenerateVerifier()
			q3, _ := b.authorize(t, r.cfg.AuthCodeURL("state-three-1234", oauth2.S256ChallengeOption(pkce3)), "", "")
			tok3, err := r.cfg.Exchange(ctx, q3.Get("code"), oauth2.VerifierOption(pkce3))
			if err != nil {
				t.Fatal(err)
			}
			if res := e.srv.Do(t, "DELETE", "/api/v1/users/me/consents/"+r.id, nil, owner); res.Status != 200 {
				t.Fatalf("revoke consent: %d %s", res.Status, res.Body)
			}
			if got := introspect(t, e.srv, tok3.AccessToken, r.id, r.secret); got["active"] != false {
				t.Fatalf("a revoked consent's access token is still active: %v", got)
			}
			if res := e.srv.Do(t, "DELETE", "/api/v1/users/me/consents/"+r.id, nil, owner); res.Status != 404 {
				t.Fatalf("revoke again: %d %s", res.Status, res.Body)
			}
			if _, consented := b.authorize(t, r.cfg.AuthCodeURL("state-four-1234", oauth2.S256ChallengeOption(pkce3)), "", ""); !consented {
				t.Fatal("after revocation the consent page did not show")
			}

			// RP-initiated logout ends the browser's session.
			out := b.send(t, "GET", "/oauth2/logout?"+url.Values{"id_token_hint": {raw}, "post_logout_redirect_uri": {rpLoggedOut},
				"state": {"bye-state"}}.Encode(), nil)
			if out.status != http.StatusSeeOther || out.header.Get("Location") != rpLoggedOut+"?state=bye-state" {
				t.Fatalf("logout: %d %q", out.status, out.header.Get("Location"))
			}
			if acc := b.send(t, "GET", "/account", nil); acc.status != http.StatusSeeOther {
				t.Fatalf("still signed in after the logout: %d", acc.status)
			}

			audit := e.srv.Do(t, "GET", "/api/v1/organizations/"+e.org+"/audit-logs?limit=100", nil, e.owner)
			for _, action := range []string{"oauth.consent.granted", "oauth.consent.revoked", "oauth.code.replayed", "oauth.refresh_token.reused"} {
				if !strings.Contains(string(audit.Body), `"`+action+`"`) {
					t.Errorf("no %s in the audit log", action)
				}
			}
		})
	}
}

// htmlRefusal checks that a is an HTML error page with status and no
// redirect.
func htmlRefusal(t *testing.T, what string, a pageAnswer, status int) {
	t.Helper()
	if a.status != status || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") || a.header.Get("Location") != "" {
		t.Errorf("%s: want an HTML %d page without a redirect, got %d %q Location %q", what, status, a.status,
			a.header.Get("Content-Type"), a.header.Get("Location"))
	}
}

// redirectError checks that a redirects to the callback with error code
// and the request's state.
func redirectError(t *testing.T, what string, a pageAnswer, code, state string) {
	t.Helper()
	q := callback(t, a)
	if q.Get("error") != code || q.Get("state") != state || q.Get("code") != "" {
		t.Errorf("%s: callback %v, want error %s with state %s", what, q, code, state)
	}
}

func TestOIDC_BadInputOnEveryEndpointGetsItsFormatsErrorAndNeverARedirectToAnUnknownAddress(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			e := newOAuthEnv(t, backend)
			r := newRP(t, e, nil)
			public := newRP(t, e, map[string]any{"token_endpoint_auth_method": "none", "grant_types": []string{"authorization_code"}})
			b := newPageBrowser(t, e.srv)
			challenge := oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())
			authz := func(v url.Values) pageAnswer {
				return b.send(t, "GET", "/oauth2/authorize?"+v.Encode(), nil)
			}
			base := func(c rp) url.Values {
				return url.Values{"response_type": {"code"}, "client_id": {c.id}, "redirect_uri": {rpCallback},
					"scope": {"openid email"}, "state": {"st-12345678"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
			}
			with := func(v url.Values, k, val string) url.Values {
				out := url.Values{}
				for key, vs := range v {
					out[key] = vs
				}
				if val == "" {
					out.Del(k)
				} else {
					out.Set(k, val)
				}
				return out
			}

			htmlRefusal(t, "unknown client", authz(with(base(r), "client_id", "no-such-client")), 400)
			htmlRefusal(t, "redirect URI mismatch", authz(with(base(r), "redirect_uri", "https://evil.example/cb")), 400)
			htmlRefusal(t, "redirect URI with an extra path", authz(with(base(r), "redirect_uri", rpCallback+"/x")), 400)
			htmlRefusal(t, "redirect URI on another host", authz(with(base(r), "redirect_uri", "http://127.0.0.2:9/callback")), 400)
			htmlRefusal(t, "no redirect URI", authz(with(base(r), "redirect_uri", "")), 400)
			htmlRefusal(t, "a repeated parameter", b.send(t, "GET", "/oauth2/authorize?"+base(r).Encode()+"&client_id="+r.id, nil), 400)
			if a := authz(with(base(r), "redirect_uri", "http://127.0.0.1:8123/callback")); a.status != http.StatusSeeOther ||
				!strings.HasPrefix(a.header.Get("Location"), "/login?") {
				t.Errorf("a loopback redirect URI on another port (RFC 8252): %d %q", a.status, a.header.Get("Location"))
			}

			redirectError(t, "public client without PKCE", authz(with(with(base(public), "code_challenge", ""), "code_challenge_method", "")), "invalid_request", "st-12345678")
			redirectError(t, "plain PKCE", authz(with(base(r), "code_challenge_method", "plain")), "invalid_request", "st-12345678")
			redirectError(t, "unsupported response type", authz(with(base(r), "response_type", "token")), "unsupported_response_type", "st-12345678")
			redirectError(t, "unknown scope", authz(with(base(r), "scope", "openid admin")), "invalid_scope", "st-12345678")
			redirectError(t, "prompt=none signed out", authz(with(base(r), "prompt", "none")), "login_required", "st-12345678")
			redirectError(t, "malformed max_age", authz(with(base(r), "max_age", "soon")), "invalid_request", "st-12345678")

			// The sign-in page continues only a request this browser parked.
			if a := b.send(t, "GET", "/login?return_to="+url.QueryEscape("/oauth2/authorize?"+base(r).Encode()), nil); strings.Contains(a.body, `name="return_to"`) {
				t.Error("/login accepted a raw authorization URL as return_to")
			}
			parked := authz(base(r)).header.Get("Location")
			other := newPageBrowser(t, e.srv)
			if a := other.send(t, "GET", parked, nil); strings.Contains(a.body, `name="return_to"`) {
				t.Error("another browser's /login accepted this browser's parked request")
			}
			u, _ := url.Parse(parked)
			cont := u.Query().Get("return_to")
			htmlRefusal(t, "another browser continuing", other.send(t, "GET", cont, nil), 404)
			htmlRefusal(t, "an unknown parked request", b.send(t, "GET", "/oauth2/authorize/continue?request=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", nil), 404)

			// Signed in, a consent post without the CSRF token is refused and spends nothing.
			signed := b.send(t, "POST", "/login", url.Values{"email": {"alice@acme-corp.com"}, "password": {"OwnerPass123!"},
				"csrf_token": {formToken(t, b.send(t, "GET", parked, nil))}, "return_to": {cont}})
			page := b.send(t, "GET", signed.header.Get("Location"), nil)
			m := consentRequest.FindStringSubmatch(page.body)
			if m == nil {
				t.Fatalf("no consent page: %d", page.status)
			}
			htmlRefusal(t, "consent without CSRF", b.send(t, "POST", "/oauth2/authorize/consent", url.Values{"request": {m[1]}, "decision": {"allow"}}), 403)
			htmlRefusal(t, "consent with a bad decision", b.send(t, "POST", "/oauth2/authorize/consent", url.Values{"csrf_token": {formToken(t, page)}, "request": {m[1]}, "decision": {"maybe"}}), 400)
			denied := b.send(t, "POST", "/oauth2/authorize/consent", url.Values{"csrf_token": {formToken(t, page)}, "request": {m[1]}, "decision": {"deny"}})
			redirectError(t, "consent denied", denied, "access_denied", "st-12345678")
			htmlRefusal(t, "a spent consent request", b.send(t, "POST", "/oauth2/authorize/consent", url.Values{"csrf_token": {formToken(t, page)}, "request": {m[1]}, "decision": {"allow"}}), 404)
			redirectError(t, "prompt=none without consent", authz(with(base(r), "prompt", "none")), "consent_required", "st-12345678")

			// The token endpoint.
			code := func() string {
				page := authz(base(r))
				m := consentRequest.FindStringSubmatch(page.body)
				if m == nil {
					t.Fatalf("no consent page: %d", page.status)
				}
				return callback(t, b.send(t, "POST", "/oauth2/authorize/consent", url.Values{"csrf_token": {formToken(t, page)}, "request": {m[1]}, "decision": {"allow"}})).Get("code")
			}
			exchange := url.Values{"grant_type": {"authorization_code"}, "code": {code()}, "redirect_uri": {rpCallback}, "code_verifier": {"wrong-verifier-wrong-verifier-wrong-verifier-1"}}
			for _, c := range []struct {
				what       string
				form       url.Values
				user, pass string
				status     int
				code       string
			}{
				{"unknown client", exchange, "no-such-client", "x", 401, "invalid_client"},
				{"wrong secret", exchange, r.id, wrongSecret(r.secret), 401, "invalid_client"},
				{"redirect URI mismatch", with(exchange, "redirect_uri", "http://127.0.0.1:9/other"), r.id, r.secret, 400, "invalid_grant"},
				{"no code", with(exchange, "code", ""), r.id, r.secret, 400, "invalid_request"},
				{"garbage code", with(exchange, "code", "authy_ac_nope.nope"), r.id, r.secret, 400, "invalid_grant"},
				{"wrong PKCE verifier", exchange, r.id, r.secret, 400, "invalid_grant"},
			} {
				status, _, body := protocolCall(t, e.srv, "/oauth2/token", c.form, c.user, c.pass)
				if status != c.status || body["error"] != c.code {
					t.Errorf("token, %s: %d %v", c.what, status, body)
				}
			}

			// Userinfo.
			req, _ := http.NewRequest("GET", e.srv.URL+"/oauth2/userinfo", nil)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 401 || !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("userinfo without a token: %d %q", res.StatusCode, res.Header.Get("WWW-Authenticate"))
			}
			req.Header.Set("Authorization", "Bearer authy_at_forged.forged")
			if res, err = http.DefaultClient.Do(req); err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 401 || !strings.Contains(res.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
				t.Errorf("userinfo with a forged token: %d %q", res.StatusCode, res.Header.Get("WWW-Authenticate"))
			}

			// Logout never redirects to an address the client did not register.
			for _, target := range []string{"https://evil.example/", "//evil.example", rpLoggedOut + "/../evil", "http://127.0.0.1:9/bye?x=1"} {
				htmlRefusal(t, "logout to "+target, b.send(t, "GET", "/oauth2/logout?"+url.Values{"client_id": {r.id}, "post_logout_redirect_uri": {target}}.Encode(), nil), 400)
			}
			htmlRefusal(t, "logout with a forged hint", b.send(t, "GET", "/oauth2/logout?id_token_hint=eyJhbGciOiJub25lIn0.e30.&post_logout_redirect_uri="+url.QueryEscape(rpLoggedOut), nil), 400)
			htmlRefusal(t, "logout without a client", b.send(t, "GET", "/oauth2/logout?post_logout_redirect_uri="+url.QueryEscape(rpLoggedOut), nil), 400)
			// Without a hint nothing proves the user asked: the sign-out page asks.
			if a := b.send(t, "GET", "/oauth2/logout", nil); a.status != http.StatusSeeOther || a.header.Get("Location") != "/logout" {
				t.Errorf("logout without a hint: %d %q", a.status, a.header.Get("Location"))
			}
			if acc := b.send(t, "GET", "/account", nil); acc.status != http.StatusOK {
				t.Errorf("a logout without a hint signed the browser out: %d", acc.status)
			}
			audit := e.srv.Do(t, "GET", "/api/v1/organizations/"+e.org+"/audit-logs?limit=100", nil, e.owner)
			if !strings.Contains(string(audit.Body), `"oauth.authorize.denied"`) {
				t.Error("no oauth.authorize.denied in the audit log")
			}
		})
	}
}

// prompt=login and max_age=0 ask a signed-in browser to sign in again, and
// the sign-in they lead to satisfies them: the browser reaches the callback
// with a code whose ID token tells the new sign-in's time.
func TestOIDC_PromptLoginAndMaxAgeZeroAskForAFreshSignInThatThenSuffices(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			e := newOAuthEnv(t, backend)
			r := newRP(t, e, map[string]any{"first_party": true})
			ctx := context.Background()
			provider, err := oidc.NewProvider(ctx, e.srv.URL)
			if err != nil {
				t.Fatalf("discovery: %v", err)
			}
			verifier := provider.Verifier(&oidc.Config{ClientID: r.id})
			b := newPageBrowser(t, e.srv)
			authTime := func(q url.Values, pkce string) int64 {
				t.Helper()
				_, _, cl := r.exchange(t, verifier, q, pkce)
				return cl.AuthTime
			}

			pkce := oauth2.GenerateVerifier()
			q, _ := b.authorize(t, r.cfg.AuthCodeURL("state-first-1234", oauth2.S256ChallengeOption(pkce)), "alice@acme-corp.com", "OwnerPass123!")
			first := authTime(q, pkce)

			for _, demand := range []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("prompt", "login"), oauth2.SetAuthURLParam("max_age", "0")} {
				pkce := oauth2.GenerateVerifier()
				authURL := r.cfg.AuthCodeURL("state-again-1234", oauth2.S256ChallengeOption(pkce), demand)
				// Asked at once after the sign-in (most often within its
				// second): the browser is still sent to /login.
				if a := b.send(t, "GET", pathOf(t, authURL), nil); a.status != http.StatusSeeOther || !strings.HasPrefix(a.header.Get("Location"), "/login?") {
					t.Fatalf("%s: a signed-in browser was not asked to sign in again: %d %q", authURL, a.status, a.header.Get("Location"))
				}
				q, _ := b.authorize(t, authURL, "alice@acme-corp.com", "OwnerPass123!")
				if q.Get("code") == "" || q.Get("state") != "state-again-1234" {
					t.Fatalf("%s: after the fresh sign-in the callback got %v", authURL, q)
				}
				if got := authTime(q, pkce); got < first {
					t.Fatalf("%s: auth_time %d is before the first sign-in's %d", authURL, got, first)
				}
			}

			// Without a demand the session suffices and no sign-in is asked.
			pkce = oauth2.GenerateVerifier()
			if a := b.send(t, "GET", pathOf(t, r.cfg.AuthCodeURL("state-plain-1234", oauth2.S256ChallengeOption(pkce))), nil); callback(t, a).Get("code") == "" {
				t.Fatal("a plain request from a signed-in browser got no code")
			}
		})
	}
}

// A client registered with id_token_signed_response_alg ES256 gets ES256
// ID tokens, at the code exchange and at every refresh, that verify against
// the JWKS; the discovery document offers both algorithms.
func TestOIDC_AClientChoosesES256IDTokens(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			e := newOAuthEnv(t, backend)
			r := newRP(t, e, map[string]any{"first_party": true, "id_token_signed_response_alg": "ES256"})
			ctx := context.Background()
			provider, err := oidc.NewProvider(ctx, e.srv.URL)
			if err != nil {
				t.Fatalf("discovery: %v", err)
			}
			var disc struct {
				Algs []string `json:"id_token_signing_alg_values_supported"`
			}
			if err := provider.Claims(&disc); err != nil || strings.Join(disc.Algs, " ") != "RS256 ES256" {
				t.Fatalf("discovery algorithms %v %v", disc.Algs, err)
			}
			es := provider.Verifier(&oidc.Config{ClientID: r.id, SupportedSigningAlgs: []string{"ES256"}})
			b := newPageBrowser(t, e.srv)
			pkce := oauth2.GenerateVerifier()
			q, _ := b.authorize(t, r.cfg.AuthCodeURL("state-es256-1234", oauth2.S256ChallengeOption(pkce)), "alice@acme-corp.com", "OwnerPass123!")
			tok, _, _ := r.exchange(t, es, q, pkce)
			status, _, body := protocolCall(t, e.srv, "/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, r.id, r.secret)
			raw, _ := body["id_token"].(string)
			if status != 200 || raw == "" {
				t.Fatalf("refresh: %d %v", status, body)
			}
			if _, err := es.Verify(ctx, raw); err != nil {
				t.Fatalf("the refreshed ID token is not ES256: %v", err)
			}

			// A client left at the default still gets RS256, and an
			// algorithm other than the two is refused at registration.
			rs := newRP(t, e, map[string]any{"first_party": true})
			pkce = oauth2.GenerateVerifier()
			q, _ = b.authorize(t, rs.cfg.AuthCodeURL("state-rs256-1234", oauth2.S256ChallengeOption(pkce)), "", "")
			rs.exchange(t, provider.Verifier(&oidc.Config{ClientID: rs.id, SupportedSigningAlgs: []string{"RS256"}}), q, pkce)
			for _, alg := range []string{"none", "HS256", "es256"} {
				res := e.srv.Do(t, "POST", "/api/v1/organizations/"+e.org+"/oauth-clients", map[string]any{
					"name": "Bad Alg", "grant_types": []string{"authorization_code"}, "redirect_uris": []string{rpCallback},
					"id_token_signed_response_alg": alg,
				}, e.owner)
				if res.Status != 400 || !strings.Contains(string(res.Body), "id_token_signed_response_alg") {
					t.Fatalf("alg %q: %d %s", alg, res.Status, res.Body)
				}
			}
		})
	}
}

// acr_values naming the multi-factor class sends a browser whose session
// passed no second factor back to /login, where an account with a factor
// gives its code; the ID token then says acr mfa and amr otp. An account
// without a factor signs in with its password and gets acr 1fa, without
// looping.
func TestOIDC_ACRValuesMFAForcesTheFactorStep(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			// A step-aligned clock a minute behind: the protocol library
			// refuses an auth_time after its own (real) now.
			clock := newSessClock(time.Now().UTC().Truncate(30 * time.Second).Add(-59 * time.Second))
			e := newOAuthEnv(t, backend, apitest.WithClock(clock), apitest.WithConfig(func(c *bootstrap.Config) { c.LoginRateLimitPerIP = 1000 }))
			r := newRP(t, e, map[string]any{"first_party": true})
			ctx := context.Background()
			provider, err := oidc.NewProvider(ctx, e.srv.URL)
			if err != nil {
				t.Fatalf("discovery: %v", err)
			}
			verifier := provider.Verifier(&oidc.Config{ClientID: r.id})
			mfaURL := func(state, pkce string) string {
				return r.cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(pkce), oauth2.SetAuthURLParam("acr_values", "urn:authy:acr:mfa"))
			}

			// The browser signs in by password; then the account enrols TOTP.
			email := "acr-" + testenv.Unique() + "@example.test"
			expect(t, e.srv.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": email, "password": mfaPassword, "name": "ACR Tester"}, ""), http.StatusCreated)
			b := newPageBrowser(t, e.srv)
			if in := b.signInPage(t, email, mfaPassword, "/account"); in.status != http.StatusSeeOther || b.session() == "" {
				t.Fatalf("password sign-in: %d", in.status)
			}
			token := signInAs(t, e.srv, email, mfaPassword)
			var enrol struct {
				FactorID string `json:"factor_id"`
				Secret   string `json:"secret"`
			}
			expect(t, e.srv.Do(t, "POST", "/api/v1/users/me/mfa/totp", nil, token), http.StatusCreated).Decode(t, &enrol)
			expect(t, e.srv.Do(t, "POST", "/api/v1/users/me/mfa/totp/"+enrol.FactorID+"/confirm", map[string]any{"code": totpAt(t, enrol.Secret, clock.Now())}, token), http.StatusOK)
			clock.Advance(30 * time.Second)

			// Without acr_values the one-factor session suffices.
			pkce := oauth2.GenerateVerifier()
			q := callback(t, b.send(t, "GET", pathOf(t, r.cfg.AuthCodeURL("state-plain-1234", oauth2.S256ChallengeOption(pkce))), nil))
			if _, _, cl := r.exchange(t, verifier, q, pkce); cl.ACR != "urn:authy:acr:1fa" {
				t.Fatalf("a password session's acr %q", cl.ACR)
			}

			// With it, /login again: the password, then the code.
			pkce = oauth2.GenerateVerifier()
			a := b.send(t, "GET", pathOf(t, mfaURL("state-mfa-1234", pkce)), nil)
			if a.status != http.StatusSeeOther || !strings.HasPrefix(a.header.Get("Location"), "/login?") {
				t.Fatalf("acr_values mfa with a one-factor session: %d %q", a.status, a.header.Get("Location"))
			}
			login := b.send(t, "GET", a.header.Get("Location"), nil)
			returnTo := regexp.MustCompile(`name="return_to" value="([^"]+)"`).FindStringSubmatch(login.body)
			if returnTo == nil {
				t.Fatalf("no return_to on the login page:\n%s", login.body)
			}
			back := strings.ReplaceAll(returnTo[1], "&amp;", "&")
			step := b.send(t, "POST", "/login", url.Values{"email": {email}, "password": {mfaPassword}, "csrf_token": {formToken(t, login)}, "return_to": {back}})
			m := pageChallenge.FindStringSubmatch(step.body)
			if step.status != http.StatusOK || m == nil {
				t.Fatalf("no code step after the password: %d\n%s", step.status, step.body)
			}
			done := b.send(t, "POST", "/login/mfa", url.Values{"challenge": {m[1]}, "code": {totpAt(t, enrol.Secret, clock.Now())},
				"csrf_token": {formToken(t, step)}, "return_to": {back}})
			if done.status != http.StatusSeeOther {
				t.Fatalf("code step: %d\n%s", done.status, done.body)
			}
			q = callback(t, b.send(t, "GET", done.header.Get("Location"), nil))
			if q.Get("code") == "" {
				t.Fatalf("after the factor step the callback got %v", q)
			}
			_, _, cl := r.exchange(t, verifier, q, pkce)
			if cl.ACR != "urn:authy:acr:mfa" || !slices.Contains(cl.AMR, "otp") || !slices.Contains(cl.AMR, "mfa") {
				t.Fatalf("after the factor step: acr %q amr %v", cl.ACR, cl.AMR)
			}
			// The multi-factor session now meets acr_values at once.
			pkce = oauth2.GenerateVerifier()
			if q := callback(t, b.send(t, "GET", pathOf(t, mfaURL("state-again-1234", pkce)), nil)); q.Get("code") == "" {
				t.Fatal("the multi-factor session got no code")
			}

			// An account without a factor: one password sign-in, acr 1fa.
			other := newPageBrowser(t, e.srv)
			pkce = oauth2.GenerateVerifier()
			q, _ = other.authorize(t, mfaURL("state-nofactor-1234", pkce), "alice@acme-corp.com", "OwnerPass123!")
			if _, _, cl := r.exchange(t, verifier, q, pkce); cl.ACR != "urn:authy:acr:1fa" {
				t.Fatalf("an account without a factor: acr %q", cl.ACR)
			}
		})
	}
}
