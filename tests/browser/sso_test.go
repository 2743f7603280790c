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
	must := func(res *apitest.Response, status int) *apitest.Response {
		t.Helper()
		if res.Status != status {
			t.Fatalf("%d %s", res.Status, res.Body)
		}
		return res
	}
	owner := "owner-" + testenv.Unique() + "@example.com"
	must(srv.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": owner, "password": "Owner-Pass-123!", "name": "Owner"}, ""), http.StatusCreated)
	var login struct {
		Token string `json:"token"`
	}
	must(srv.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": owner, "password": "Owner-Pass-123!"}, ""), http.StatusOK).Decode(t, &login)
	var org struct {
		ID string `json:"id"`
	}
	must(srv.Do(t, "POST", "/api/v1/organizations", map[string]any{"name": "Corp"}, login.Token), http.StatusCreated).Decode(t, &org)
	domain := "corp-" + testenv.Unique() + ".example"
	var claim struct {
		Challenge struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"challenge"`
	}
	must(srv.Do(t, "POST", "/api/v1/organizations/"+org.ID+"/domains", map[string]any{"domain": domain}, login.Token), http.StatusCreated).Decode(t, &claim)
	dns.SetTXT(claim.Challenge.Name, claim.Challenge.Value)
	must(srv.Do(t, "POST", "/api/v1/organizations/"+org.ID+"/domains/"+domain+"/verify", nil, login.Token), http.StatusOK)
	must(srv.Do(t, "POST", "/api/v1/organizations/"+org.ID+"/sso-connections", map[string]any{
		"type": "oidc", "name": "Corp IdP", "domains": []string{domain}, "enforce": true,
		"issuer": idp.Issuer(), "client_id": upstreamtest.ClientID, "client_secret": upstreamtest.ClientSecret,
	}, login.Token), http.StatusCreated)

	email := "jane-" + testenv.Unique() + "@" + domain
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
	var members []struct {
		Email string `json:"email"`
		Role  string `json:"role"`
	}
	must(srv.Do(t, "GET", "/api/v1/organizations/"+org.ID+"/members", nil, login.Token), http.StatusOK).Decode(t, &members)
	found := false
	for _, m := range members {
		found = found || (m.Email == email && m.Role == "member")
	}
	if !found {
		t.Fatalf("jane is not a member: %+v", members)
	}
}
