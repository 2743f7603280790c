package pageshttp_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/adapters/httpapi/pageshttp"
	"github.com/secuird/authy/ports/federationport"
)

type providerList []federationport.ProviderView

func (l providerList) Providers(context.Context) []federationport.ProviderView { return l }

func newSiteWithProviders(t *testing.T) *site {
	t.Helper()
	s := newSite(t)
	returns, err := pageshttp.NewReturnPolicy("http://auth.test", []string{"https://app.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	app := httpapi.New(httpapi.Options{BodyLimit: 4096, Groups: []httpapi.RouteGroup{s.pages.Group()}})
	err = pageshttp.Register(app, pageshttp.Deps{Identity: s.world, Sessions: s.world, Invitations: s.world, Browser: s.browser,
		Pages: s.pages, Returns: returns, Providers: providerList{
			{Name: "google", DisplayName: "Google", Kind: "google"},
			{Name: "acme", DisplayName: "Acme <SSO>", Kind: "oidc"},
		}})
	if err != nil {
		t.Fatal(err)
	}
	s.app = app
	return s
}

func TestLoginPage_OffersAButtonForEachProviderCarryingTheReturnTarget(t *testing.T) {
	s := newSiteWithProviders(t)
	p := s.do(t, "GET", "/login?return_to="+url.QueryEscape("/account?tab=1"), nil)
	if p.status != 200 {
		t.Fatalf("status %d", p.status)
	}
	for _, want := range []string{
		`id="provider-google" href="/api/v1/auth/external/google?return_to=%2Faccount%3Ftab%3D1"`,
		`>Continue with Google<`,
		`>Continue with Acme &lt;SSO&gt;<`,
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the page lacks %s:\n%s", want, p.body)
		}
	}
	// A refused return target is not carried on.
	p = s.do(t, "GET", "/login?return_to="+url.QueryEscape("https://evil.example/"), nil)
	if !strings.Contains(p.body, `href="/api/v1/auth/external/google"`) || strings.Contains(p.body, "evil.example") {
		t.Fatalf("a refused target reached the buttons:\n%s", p.body)
	}
}

func TestLoginPage_ExplainsOnlyKnownSignInErrors(t *testing.T) {
	s := newSiteWithProviders(t)
	p := s.do(t, "GET", "/login?error=federation.link_requires_sign_in", nil)
	if !strings.Contains(p.body, "Sign in with its password first, then link this provider") {
		t.Fatalf("the error is not explained:\n%s", p.body)
	}
	p = s.do(t, "GET", "/login?error="+url.QueryEscape("<script>alert(1)</script>"), nil)
	if strings.Contains(p.body, "alert(1)") || strings.Contains(p.body, `role="alert"`) {
		t.Fatalf("an unknown error was shown:\n%s", p.body)
	}
}

func TestLoginPage_WithoutProvidersShowsNoProviderSection(t *testing.T) {
	s := newSite(t)
	if p := s.do(t, "GET", "/login", nil); strings.Contains(p.body, "providers") {
		t.Fatalf("a provider section without providers:\n%s", p.body)
	}
}

func TestReturnPolicy_ForeignTellsRegisteredOriginsFromAuthysOwn(t *testing.T) {
	r, err := pageshttp.NewReturnPolicy("https://auth.example.com", []string{"https://app.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	for target, foreign := range map[string]bool{
		"/account": false, "https://auth.example.com/x": false, "https://app.example.com/cb": true, "": false,
	} {
		if got := r.Foreign(target); got != foreign {
			t.Errorf("Foreign(%q) = %v", target, got)
		}
	}
}
