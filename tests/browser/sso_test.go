//go:build browser

package browser

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/secuird/authy/adapters/upstream/dnstxt/dnstxttest"
	"github.com/secuird/authy/adapters/upstream/oauthproviders/upstreamtest"
	"github.com/secuird/authy/bootstrap"
	"github.com/secuird/authy/tests/apitest"
	"github.com/secuird/authy/tests/testenv"
)

func TestSSOSignIn_FromTheLoginPageThroughTheOrganizationsIdPBackSignedInAsANewMember(t *testing.T) {
	dns := dnstxttest.Start(t)
	idp := upstreamtest.Start(t)
	srv := apitest.Start(t, apitest.Embedded, apitest.WithOwnPublicURL(), apitest.WithConfig(func(c *bootstrap.Config) {
		c.DNSResolver = dns.Addr
		c.SSOAllowPrivateIdP = true
	}))
	o := ssoOrganization(t, srv, dns)
	mustStatus(t, srv.Do(t, "POST", "/api/v1/organizations/"+o.id+"/sso-connections", map[string]any{
		"type": "oidc", "name": "Corp IdP", "domains": []string{o.domain}, "enforce": true,
		"issuer": idp.Issuer(), "client_id": upstreamtest.ClientID, "client_secret": upstreamtest.ClientSecret,
	}, o.token), http.StatusCreated)

	email := "jane-" + testenv.Unique() + "@" + o.domain
	idp.SignInAs(upstreamtest.User{Subject: "corp|jane", Email: email, Name: "Jane Corp"})
	ctx := socialBrowser(t)
	step(t, ctx, "type the work address and continue with SSO",
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.Click(chromedp.ID("sso-submit")),
	)
	socialAwait(t, ctx, "the way on to the organization's IdP",
		`document.querySelector("#sso-continue") ? document.querySelector("#sso-continue").innerText : ""`,
		func(s string) bool { return s == "Continue with Corp IdP" })
	step(t, ctx, "continue to the IdP", chromedp.Click(chromedp.ID("sso-continue")))
	socialAwait(t, ctx, "the IdP's page", `document.title`, func(s string) bool { return s == "Fake provider" })
	step(t, ctx, "approve at the IdP", chromedp.WaitVisible(chromedp.ID("approve")), chromedp.Click(chromedp.ID("approve")))
	socialAwait(t, ctx, "back on the account page",
		`(document.readyState === "complete" && document.querySelector("h1#title")) ? location.pathname + " " + document.body.innerText : ""`,
		func(s string) bool { return strings.HasPrefix(s, "/account ") && strings.Contains(s, email) })
	if a := idp.Authorizations(); len(a) != 1 || a[0].Get("code_challenge") == "" || a[0].Get("nonce") == "" {
		t.Fatalf("the IdP saw %v", a)
	}
	o.wantMember(t, srv, email, "member")
}

// ssoOrg is an organization with a verified domain, and its owner's token.
type ssoOrg struct{ id, domain, token string }

// ssoOrganization registers an owner, creates an organization and proves
// a fresh domain for it through dns.
func ssoOrganization(t *testing.T, srv *apitest.Server, dns *dnstxttest.Server) ssoOrg {
	t.Helper()
	owner := "owner-" + testenv.Unique() + "@example.com"
	mustStatus(t, srv.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": owner, "password": "Owner-Pass-123!", "name": "Owner"}, ""), http.StatusCreated)
	var login struct {
		Token string `json:"token"`
	}
	mustStatus(t, srv.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": owner, "password": "Owner-Pass-123!"}, ""), http.StatusOK).Decode(t, &login)
	var org struct {
		ID string `json:"id"`
	}
	mustStatus(t, srv.Do(t, "POST", "/api/v1/organizations", map[string]any{"name": "Corp"}, login.Token), http.StatusCreated).Decode(t, &org)
	domain := "corp-" + testenv.Unique() + ".example"
	var claim struct {
		Challenge struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"challenge"`
	}
	mustStatus(t, srv.Do(t, "POST", "/api/v1/organizations/"+org.ID+"/domains", map[string]any{"domain": domain}, login.Token), http.StatusCreated).Decode(t, &claim)
	dns.SetTXT(claim.Challenge.Name, claim.Challenge.Value)
	mustStatus(t, srv.Do(t, "POST", "/api/v1/organizations/"+org.ID+"/domains/"+domain+"/verify", nil, login.Token), http.StatusOK)
	return ssoOrg{id: org.ID, domain: domain, token: login.Token}
}

// wantMember fails the test unless email is a member of o with role.
func (o ssoOrg) wantMember(t *testing.T, srv *apitest.Server, email, role string) {
	t.Helper()
	var members []struct {
		Email string `json:"email"`
		Role  string `json:"role"`
	}
	mustStatus(t, srv.Do(t, "GET", "/api/v1/organizations/"+o.id+"/members", nil, o.token), http.StatusOK).Decode(t, &members)
	for _, m := range members {
		if m.Email == email && m.Role == role {
			return
		}
	}
	t.Fatalf("%s is not a member with role %s: %+v", email, role, members)
}

func mustStatus(t *testing.T, res *apitest.Response, status int) *apitest.Response {
	t.Helper()
	if res.Status != status {
		t.Fatalf("%d %s", res.Status, res.Body)
	}
	return res
}
