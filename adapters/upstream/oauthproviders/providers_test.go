package oauthproviders_test

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"github.com/secuird/authy/adapters/upstream/oauthproviders"
	"github.com/secuird/authy/adapters/upstream/oauthproviders/upstreamtest"
	"github.com/secuird/authy/domain/federation"
	"github.com/secuird/authy/ports/federationport"
)

const publicURL = "http://authy.test"

var req = federationport.AuthRequest{State: "state-1", Nonce: "nonce-1", Verifier: "verifier-0123456789-0123456789-0123456789-xyz"}

// roundTrip starts a flow at p, approves it at the fake as the browser
// would, and exchanges the code.
func roundTrip(t *testing.T, fake *upstreamtest.Server, p federationport.Upstream) (federation.Profile, error) {
	t.Helper()
	ctx := context.Background()
	authURL, session, err := p.AuthCodeURL(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	q := mustQuery(t, authURL)
	if q.Get("state") != req.State || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		t.Fatalf("authorization URL %s", authURL)
	}
	if q.Get("redirect_uri") != publicURL+"/api/v1/auth/external/"+p.Name().String()+"/callback" {
		t.Fatalf("callback %s", q.Get("redirect_uri"))
	}
	back, err := fake.ApproveURL(authURL)
	if err != nil {
		t.Fatal(err)
	}
	code := mustQuery(t, back).Get("code")
	return p.Exchange(ctx, federationport.ExchangeRequest{Code: code, Nonce: req.Nonce, Verifier: req.Verifier, Session: session})
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

func options(fake *upstreamtest.Server) oauthproviders.Options {
	return oauthproviders.Options{PublicURL: publicURL, HTTPClient: fake.Client()}
}

func wantVerifierSent(t *testing.T, fake *upstreamtest.Server) {
	t.Helper()
	reqs := fake.TokenRequests()
	if len(reqs) == 0 || reqs[len(reqs)-1].Get("code_verifier") != req.Verifier {
		t.Fatalf("the token request carried no PKCE verifier: %v", reqs)
	}
}

func TestGoogle_ReadsTheUserWithPKCEAndTrustsVerifiedEmail(t *testing.T) {
	fake := upstreamtest.Start(t)
	p := oauthproviders.NewGoogle(options(fake), oauthproviders.GoogleConfig{ClientID: upstreamtest.ClientID, ClientSecret: upstreamtest.ClientSecret})
	fake.SignInAs(upstreamtest.User{Subject: "g-42", Email: "ada@example.com", EmailVerified: true, Name: "Ada"})
	got, err := roundTrip(t, fake, p)
	if err != nil {
		t.Fatal(err)
	}
	if got != (federation.Profile{Subject: "g-42", Email: "ada@example.com", EmailVerified: true, Name: "Ada"}) {
		t.Fatalf("profile %+v", got)
	}
	wantVerifierSent(t, fake)
	fake.SignInAs(upstreamtest.User{Subject: "g-43", Email: "bob@example.com", EmailVerified: false})
	if got, err := roundTrip(t, fake, p); err != nil || got.EmailVerified {
		t.Fatalf("an unverified Google address: %+v, %v", got, err)
	}
}

func TestGitHub_UsesThePrimaryVerifiedAddressFromUserEmails(t *testing.T) {
	fake := upstreamtest.Start(t)
	p := oauthproviders.NewGitHub(options(fake), oauthproviders.GitHubConfig{ClientID: upstreamtest.ClientID, ClientSecret: upstreamtest.ClientSecret})
	fake.SignInAs(upstreamtest.User{Subject: "4242", Email: "public@example.com", Name: "Octo", Emails: []upstreamtest.GitHubEmail{
		{Email: "public@example.com", Primary: false, Verified: true},
		{Email: "primary@example.com", Primary: true, Verified: true},
	}})
	got, err := roundTrip(t, fake, p)
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject != "4242" || got.Email != "primary@example.com" || !got.EmailVerified || got.Name != "Octo" {
		t.Fatalf("profile %+v", got)
	}
	wantVerifierSent(t, fake)

	fake.SignInAs(upstreamtest.User{Subject: "4343", Email: "public@example.com", Emails: []upstreamtest.GitHubEmail{
		{Email: "primary@example.com", Primary: true, Verified: false},
	}})
	got, err = roundTrip(t, fake, p)
	if err != nil {
		t.Fatal(err)
	}
	if got.Email != "public@example.com" || got.EmailVerified {
		t.Fatalf("without a verified primary address the public one stays unverified: %+v", got)
	}
}

func TestGitHub_EnterpriseServerIsReachedAtItsOwnURL(t *testing.T) {
	fake := upstreamtest.Start(t)
	p := oauthproviders.NewGitHub(oauthproviders.Options{PublicURL: publicURL}, oauthproviders.GitHubConfig{
		ClientID: upstreamtest.ClientID, ClientSecret: upstreamtest.ClientSecret, BaseURL: fake.URL,
	})
	fake.SignInAs(upstreamtest.User{Subject: "7", Email: "dev@corp.example", EmailVerified: true})
	got, err := roundTrip(t, fake, p)
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject != "7" || !got.EmailVerified {
		t.Fatalf("profile %+v", got)
	}
}

func TestMicrosoft_NeverTreatsTheEmailAsVerified(t *testing.T) {
	fake := upstreamtest.Start(t)
	p := oauthproviders.NewMicrosoft(options(fake), oauthproviders.MicrosoftConfig{
		ClientID: upstreamtest.ClientID, ClientSecret: upstreamtest.ClientSecret, Tenant: "contoso",
	})
	fake.SignInAs(upstreamtest.User{Subject: "ms-1", Email: "amy@contoso.example", EmailVerified: true, Name: "Amy"})
	authURL, _, err := p.AuthCodeURL(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := url.Parse(authURL); u.Path != "/contoso/oauth2/v2.0/authorize" {
		t.Fatalf("tenant not used: %s", authURL)
	}
	got, err := roundTrip(t, fake, p)
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject != "ms-1" || got.Email != "amy@contoso.example" || got.EmailVerified {
		t.Fatalf("profile %+v", got)
	}
	wantVerifierSent(t, fake)
}

func newOIDC(t *testing.T, fake *upstreamtest.Server) federationport.Upstream {
	t.Helper()
	p, err := oauthproviders.NewOIDC(options(fake), oauthproviders.OIDCConfig{
		Name: "acme", DisplayName: "Acme SSO", Issuer: fake.Issuer(), ClientID: upstreamtest.ClientID, ClientSecret: upstreamtest.ClientSecret,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOIDC_VerifiesTheIDTokenAndReadsEmailVerified(t *testing.T) {
	fake := upstreamtest.Start(t)
	p := newOIDC(t, fake)
	fake.SignInAs(upstreamtest.User{Subject: "acme|1", Email: "ada@acme.example", EmailVerified: true, Name: "Ada"})
	got, err := roundTrip(t, fake, p)
	if err != nil {
		t.Fatal(err)
	}
	if got != (federation.Profile{Subject: "acme|1", Email: "ada@acme.example", EmailVerified: true, Name: "Ada"}) {
		t.Fatalf("profile %+v", got)
	}
	wantVerifierSent(t, fake)
	if a := fake.Authorizations(); a[0].Get("nonce") != req.Nonce || a[0].Get("scope") != "openid email profile" {
		t.Fatalf("authorization %v", a[0])
	}
}

func TestOIDC_RefusesAForgedSignatureAndAWrongNonce(t *testing.T) {
	fake := upstreamtest.Start(t)
	p := newOIDC(t, fake)
	fake.ForgeSignature()
	if _, err := roundTrip(t, fake, p); !errors.Is(err, federation.ErrTokenInvalid) {
		t.Fatalf("forged signature: %v", err)
	}
	fake.WrongNonce()
	if _, err := roundTrip(t, fake, p); !errors.Is(err, federation.ErrTokenInvalid) {
		t.Fatalf("wrong nonce: %v", err)
	}
}

func TestOIDC_AWrongVerifierIsAProviderError(t *testing.T) {
	fake := upstreamtest.Start(t)
	p := newOIDC(t, fake)
	authURL, _, err := p.AuthCodeURL(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	back, err := fake.ApproveURL(authURL)
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Exchange(context.Background(), federationport.ExchangeRequest{Code: mustQuery(t, back).Get("code"), Nonce: req.Nonce, Verifier: "another-verifier-0123456789-0123456789-0123"})
	if !errors.Is(err, federation.ErrProviderError) {
		t.Fatalf("got %v", err)
	}
}

func TestOIDC_AnUnreachableIssuerIsUnavailable(t *testing.T) {
	p, err := oauthproviders.NewOIDC(oauthproviders.Options{PublicURL: publicURL}, oauthproviders.OIDCConfig{
		Name: "down", Issuer: "http://127.0.0.1:1/oidc", ClientID: "x",
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.AuthCodeURL(context.Background(), req); !errors.Is(err, federation.ErrProviderUnavailable) {
		t.Fatalf("got %v", err)
	}
}
