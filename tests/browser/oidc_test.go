//go:build browser

package browser

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/secuird/authy/ports/platformport/platformporttest"
	"github.com/secuird/authy/tests/apitest"
)

// relyingParty is an application that signs its users in with Authy the
// way one would in production: coreos/go-oidc for discovery and ID token
// verification, x/oauth2 (AuthStyle set, so a failed call is not retried
// with another style) for the code exchange with PKCE. It serves /start
// (sends the browser to Authy), /callback (exchanges the code, verifies
// the ID token and shows who signed in) and /bye (where logout returns).
type relyingParty struct {
	url      string
	cfg      oauth2.Config
	verifier *oidc.IDTokenVerifier
	provider *oidc.Provider

	mu       sync.Mutex
	state    string
	nonce    string
	pkce     string
	code     string
	token    *oauth2.Token
	rawID    string
	claims   map[string]any
	failures []string
}

func startRelyingParty(t *testing.T) (*relyingParty, net.Listener) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return &relyingParty{url: "http://" + ln.Addr().String()}, ln
}

func (rp *relyingParty) serve(t *testing.T, ln net.Listener) {
	mux := http.NewServeMux()
	mux.HandleFunc("/start", func(w http.ResponseWriter, r *http.Request) {
		rp.mu.Lock()
		rp.state, rp.nonce, rp.pkce = oauth2.GenerateVerifier(), oauth2.GenerateVerifier(), oauth2.GenerateVerifier()
		u := rp.cfg.AuthCodeURL(rp.state, oauth2.S256ChallengeOption(rp.pkce), oidc.Nonce(rp.nonce))
		rp.mu.Unlock()
		http.Redirect(w, r, u, http.StatusFound)
	})
	mux.HandleFunc("/callback", func(w http.ResponseWriter, r *http.Request) {
		rp.mu.Lock()
		defer rp.mu.Unlock()
		fail := func(format string, a ...any) {
			rp.failures = append(rp.failures, fmt.Sprintf(format, a...))
			http.Error(w, "failed", http.StatusBadRequest)
		}
		if r.URL.Query().Get("state") != rp.state {
			fail("state %q", r.URL.Query().Get("state"))
			return
		}
		rp.code = r.URL.Query().Get("code")
		tok, err := rp.cfg.Exchange(r.Context(), rp.code, oauth2.VerifierOption(rp.pkce))
		if err != nil {
			fail("exchange: %v", err)
			return
		}
		raw, _ := tok.Extra("id_token").(string)
		idt, err := rp.verifier.Verify(r.Context(), raw)
		if err != nil {
			fail("verify: %v", err)
			return
		}
		if idt.Nonce != rp.nonce {
			fail("nonce %q", idt.Nonce)
			return
		}
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			fail("at_hash: %v", err)
			return
		}
		claims := map[string]any{}
		if err := idt.Claims(&claims); err != nil {
			fail("claims: %v", err)
			return
		}
		rp.token, rp.rawID, rp.claims = tok, raw, claims
		fmt.Fprintf(w, "<!doctype html><title>Signed in</title><h1 id=who>%s</h1>", claims["email"])
	})
	mux.HandleFunc("/bye", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "<!doctype html><title>Bye</title><h1 id=bye>%s</h1>", r.URL.Query().Get("state"))
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
}

func TestOIDC_ARelyingPartySignsInThroughLoginAndConsentThenRefreshesAndLogsOut(t *testing.T) {
	started := time.Now()
	clock := platformporttest.NewClock(time.Now().UTC())
	srv := apitest.Start(t, apitest.Embedded, apitest.WithOwnPublicURL(), apitest.WithClock(clock))
	if err := srv.App.Seed(context.Background(), io.Discard); err != nil {
		t.Fatal(err)
	}
	rp, ln := startRelyingParty(t)
	owner := srv.Do(t, "POST", "/api/v1/auth/login", map[string]string{"email": "alice@acme-corp.com", "password": "OwnerPass123!"}, "")
	var login struct {
		Token string `json:"token"`
	}
	owner.Decode(t, &login)
	var orgs []struct {
		ID string `json:"id"`
	}
	srv.Do(t, "GET", "/api/v1/users/me/organizations", nil, login.Token).Decode(t, &orgs)
	created := srv.Do(t, "POST", "/api/v1/organizations/"+orgs[0].ID+"/oauth-clients", map[string]any{
		"name": "Partner App", "grant_types": []string{"authorization_code", "refresh_token"},
		"redirect_uris": []string{rp.url + "/callback"}, "post_logout_redirect_uris": []string{rp.url + "/bye"},
		"scopes": []string{"openid", "profile", "email", "offline_access", "organizations"},
	}, login.Token)
	var client struct {
		ID     string `json:"client_id"`
		Secret string `json:"client_secret"`
	}
	created.Decode(t, &client)
	if created.Status != http.StatusCreated || client.Secret == "" {
		t.Fatalf("create client: %d %s", created.Status, created.Body)
	}
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	rp.provider, rp.verifier = provider, provider.Verifier(&oidc.Config{ClientID: client.ID})
	rp.cfg = oauth2.Config{ClientID: client.ID, ClientSecret: client.Secret, RedirectURL: rp.url + "/callback",
		Endpoint: oauth2.Endpoint{AuthURL: provider.Endpoint().AuthURL, TokenURL: provider.Endpoint().TokenURL, AuthStyle: oauth2.AuthStyleInHeader},
		Scopes:   []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess, "organizations"}}
	rp.serve(t, ln)
	b := headless(t)
	booted := time.Now()

	step(t, b, "open the application, which sends the browser to Authy", chromedp.Navigate(rp.url+"/start"))
	heading(t, b, "Sign in")
	signIn(t, b, "alice@acme-corp.com", "OwnerPass123!")
	heading(t, b, "Allow Partner App?")
	scopes := read(t, b, "read the scopes", chromedp.Text(chromedp.CSS("ul.scopes")))
	if !strings.Contains(scopes, "Your email address") || !strings.Contains(scopes, "Your organizations") {
		t.Fatalf("the consent page lists %q", scopes)
	}
	step(t, b, "allow", chromedp.Click(chromedp.ID("consent-allow")))
	who := poll(t, b, "back at the application", `document.querySelector("h1#who") ? document.querySelector("h1#who").textContent : ""`,
		func(s string) bool { return s != "" })
	rp.mu.Lock()
	failures, tok, claims, code, rawID := rp.failures, rp.token, rp.claims, rp.code, rp.rawID
	rp.mu.Unlock()
	if len(failures) > 0 || who != "alice@acme-corp.com" {
		t.Fatalf("the relying party: %q %v", who, failures)
	}
	if claims["sid"] == "" || claims["auth_time"] == nil || fmt.Sprint(claims["amr"]) != "[pwd]" || claims["email_verified"] == nil {
		t.Fatalf("ID token claims %v", claims)
	}
	signedIn := time.Now()

	info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil || info.Email != "alice@acme-corp.com" {
		t.Fatalf("userinfo %+v %v", info, err)
	}

	// The code again: refused, and what it issued is revoked.
	if _, err := rp.cfg.Exchange(ctx, code, oauth2.VerifierOption("x")); err == nil {
		t.Fatal("the code was exchanged twice")
	}
	if _, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
		t.Fatal("the replayed code's access token still works")
	}

	// A second sign-in: no consent asked, then refresh rotation and reuse.
	step(t, b, "sign in to the application again", chromedp.Navigate(rp.url+"/start"))
	poll(t, b, "back at the application without a consent page", `document.querySelector("h1#who") ? document.querySelector("h1#who").textContent : ""`,
		func(s string) bool { return s == "alice@acme-corp.com" })
	rp.mu.Lock()
	tok = rp.token
	rp.mu.Unlock()
	refresh := func(rt string) (*oauth2.Token, error) {
		return rp.cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: rt, Expiry: time.Now().Add(-time.Hour)}).Token()
	}
	next, err := refresh(tok.RefreshToken)
	if err != nil || next.RefreshToken == tok.RefreshToken || next.Extra("id_token") == nil {
		t.Fatalf("refresh: %v", err)
	}
	// A key rotation while these tokens live: they keep verifying, and the
	// new key signs once its publication lead has passed.
	var out bytes.Buffer
	if err := srv.App.RotateKeys(ctx, &out, false); err != nil {
		t.Fatalf("rotate: %v\n%s", err, out.String())
	}
	clock.Advance(11 * time.Minute)
	rotated, err := refresh(next.RefreshToken)
	if err != nil {
		t.Fatalf("refresh after the rotation: %v", err)
	}
	// A relying party that fetches the key set now.
	p2, err := oidc.NewProvider(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	v2 := p2.Verifier(&oidc.Config{ClientID: client.ID})
	for what, raw := range map[string]string{"before the rotation": rawID, "after the rotation": rotated.Extra("id_token").(string)} {
		if _, err := v2.Verify(ctx, raw); err != nil {
			t.Fatalf("the ID token signed %s does not verify: %v", what, err)
		}
	}
	if kidOf(t, rawID) == kidOf(t, rotated.Extra("id_token").(string)) {
		t.Fatal("the successor key does not sign after its lead")
	}
	if _, err := refresh(next.RefreshToken); err == nil {
		t.Fatal("a rotated refresh token was accepted again")
	}
	if _, err := refresh(rotated.RefreshToken); err == nil {
		t.Fatal("the grant survived a refresh token reuse")
	}

	// RP-initiated logout: back at the application, signed out of Authy.
	end := provider.Endpoint().AuthURL[:strings.LastIndex(provider.Endpoint().AuthURL, "/")] + "/logout?" + url.Values{
		"id_token_hint": {rotated.Extra("id_token").(string)}, "post_logout_redirect_uri": {rp.url + "/bye"}, "state": {"see-you"}}.Encode()
	step(t, b, "sign out from the application", chromedp.Navigate(end))
	poll(t, b, "at the application's sign-out page", `document.querySelector("h1#bye") ? document.querySelector("h1#bye").textContent : ""`,
		func(s string) bool { return s == "see-you" })
	step(t, b, "open the account page", chromedp.Navigate(srv.URL+"/account"))
	heading(t, b, "Sign in")
	t.Logf("browser start %s, sign-in and consent through the relying party %s, the rest %s",
		booted.Sub(started).Round(time.Millisecond), signedIn.Sub(booted).Round(time.Millisecond), time.Since(signedIn).Round(time.Millisecond))
}

// kidOf returns the key id in a JWT's header.
func kidOf(t *testing.T, jwt string) string {
	t.Helper()
	head, _, _ := strings.Cut(jwt, ".")
	raw, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(raw, &h); err != nil || h.Kid == "" {
		t.Fatalf("header %s: %v", raw, err)
	}
	return h.Kid
}
