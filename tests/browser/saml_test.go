//go:build browser

package browser

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/secuird/authy/adapters/upstream/dnstxt/dnstxttest"
	"github.com/secuird/authy/adapters/upstream/samlsso/samlssotest"
	"github.com/secuird/authy/bootstrap"
	"github.com/secuird/authy/tests/apitest"
	"github.com/secuird/authy/tests/testenv"
)

// The SAML flow in a real browser: the identity provider (crewjam's
// samlidp) shows its own login form and answers with its auto-submitting
// POST binding form to the connection's ACS. The binding cookie goes with
// that cross-origin POST because on http loopback Authy and the identity
// provider are one site (the cookie is SameSite=Lax there; on https it is
// SameSite=None, which browsers refuse without Secure).
func TestSAMLSignIn_FromTheLoginPageThroughTheIdPsFormBackSignedInAtTheReturnTarget(t *testing.T) {
	dns := dnstxttest.Start(t)
	idp := samlssotest.Start(t)
	srv := apitest.Start(t, apitest.Embedded, apitest.WithOwnPublicURL(), apitest.WithConfig(func(c *bootstrap.Config) {
		c.DNSResolver = dns.Addr
		c.SSOAllowPrivateIdP = true
	}))
	o := ssoOrganization(t, srv, dns)
	var conn struct {
		ID string `json:"id"`
	}
	mustStatus(t, srv.Do(t, "POST", "/api/v1/organizations/"+o.id+"/sso-connections", map[string]any{
		"type": "saml", "name": "Corp SAML", "domains": []string{o.domain}, "default_role": "admin", "idp_metadata_url": idp.MetadataURL(),
	}, o.token), http.StatusCreated).Decode(t, &conn)
	idp.AddServiceProvider("authy", string(mustStatus(t, srv.Do(t, "GET", "/api/v1/sso/saml/"+conn.ID+"/metadata", nil, ""), http.StatusOK).Body))
	email := "jane-" + testenv.Unique() + "@" + o.domain
	idp.AddUser("jane", "jane-pass", email, "Jane Corp")

	ctx := socialBrowser(t)
	step(t, ctx, "type the work address and continue with SSO",
		chromedp.Navigate(srv.URL+"/login?return_to="+"%2Faccount%3Ftab%3Dsessions"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.Click(chromedp.ID("sso-submit")),
	)
	socialAwait(t, ctx, "the way on to the organization's IdP",
		`document.querySelector("#sso-continue") ? document.querySelector("#sso-continue").innerText : ""`,
		func(s string) bool { return s == "Continue with Corp SAML" })
	step(t, ctx, "continue to the IdP", chromedp.Click(chromedp.ID("sso-continue")))
	socialAwait(t, ctx, "the IdP's login form",
		`document.querySelector('input[name="user"]') && location.href.startsWith(`+jsString(idp.URL)+`) ? "form" : ""`,
		func(s string) bool { return s == "form" })
	step(t, ctx, "sign in at the IdP",
		chromedp.SendKeys(chromedp.CSS(`input[name="user"]`), "jane"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), "jane-pass"),
		chromedp.Click(chromedp.CSS(`input[type="submit"]`)),
	)
	got := socialAwait(t, ctx, "back at the return target, signed in",
		`(document.readyState === "complete" && document.querySelector("h1#title")) ? location.pathname + location.search + " " + document.body.innerText : ""`,
		func(s string) bool { return strings.HasPrefix(s, "/account?tab=sessions ") })
	if !strings.Contains(got, email) {
		t.Fatalf("the account page does not show the new member:\n%s", got)
	}
	o.wantMember(t, srv, email, "admin")
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
