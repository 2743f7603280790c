//go:build integration

package e2e

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/secuird/authy/adapters/upstream/oauthproviders/upstreamtest"
	"github.com/secuird/authy/tests/apitest"
	"github.com/secuird/authy/tests/testenv"
)

// enrolmentNotice is what a sign-in's answer says of the organizations
// requiring a factor the user has not enrolled.
type enrolmentNotice struct {
	Token         string `json:"token"`
	Required      *bool  `json:"mfa_enrolment_required"`
	Organizations []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"mfa_enrolment_organizations"`
}

// requireMFAOrg makes an organization of owner (who enrols a factor to
// set the policy) requiring a second factor.
func requireMFAOrg(t *testing.T, srv *apitest.Server, owner orgAccount, name string) orgView {
	t.Helper()
	org := createOrg(t, srv, owner, map[string]any{"name": name})
	mfaEnrolToken(t, srv, owner.token)
	sessExpect(t, srv.Do(t, "PATCH", "/api/v1/organizations/"+org.ID, map[string]any{"require_mfa": true}, owner.token), http.StatusOK)
	return org
}

func TestMFA_ASignInOfAMemberWithoutAFactorSaysWhichOrganizationsRequireOne(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := startOrgServer(t, backend)
			owner, member := signUp(t, srv, "owner"), signUp(t, srv, "member")
			strict := requireMFAOrg(t, srv, owner, "Strict "+testenv.Unique())
			relaxed := createOrg(t, srv, owner, map[string]any{"name": "Relaxed " + testenv.Unique()})
			join(t, srv, strict.ID, owner, member, "member")
			join(t, srv, relaxed.ID, owner, member, "member")
			loginBody := map[string]any{"email": member.email, "password": orgPassword}

			// Not a member of such an organization: the answer says so.
			var plain enrolmentNotice
			res := sessExpect(t, srv.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": signUp(t, srv, "plain").email, "password": orgPassword}, ""), http.StatusOK)
			res.Decode(t, &plain)
			if plain.Required == nil || *plain.Required || strings.Contains(string(res.Body), "mfa_enrolment_organizations") {
				t.Fatalf("sign-in of a user without such an organization: %s", res.Body)
			}

			// The member's session starts and names the organization.
			var got enrolmentNotice
			sessExpect(t, srv.Do(t, "POST", "/api/v1/auth/login", loginBody, ""), http.StatusOK).Decode(t, &got)
			if got.Token == "" || got.Required == nil || !*got.Required || len(got.Organizations) != 1 ||
				got.Organizations[0].ID != strict.ID || got.Organizations[0].Name != strict.Name {
				t.Fatalf("sign-in of a member without a factor: %+v", got)
			}
			// The session works elsewhere; the organization stays closed.
			sessExpect(t, srv.Do(t, "GET", "/api/v1/organizations/"+relaxed.ID, nil, got.Token), http.StatusOK)
			mfaExpectError(t, srv.Do(t, "GET", "/api/v1/organizations/"+strict.ID, nil, got.Token), 403, "organizations.mfa_enrolment_required")

			// Enrolled: the next sign-in asks for the factor, and its
			// completion owes nothing.
			mfaEnrolToken(t, srv, got.Token)
			sessExpect(t, srv.Do(t, "GET", "/api/v1/organizations/"+strict.ID, nil, got.Token), http.StatusOK)
			var ch mfaChallenge
			sessExpect(t, srv.Do(t, "POST", "/api/v1/auth/login", loginBody, ""), http.StatusOK).Decode(t, &ch)
			if !ch.MFARequired {
				t.Fatal("an enrolled member is not asked for the factor")
			}
		})
	}
}

func TestMFA_ASignInThroughAProviderSaysWhichOrganizationsRequireAFactor(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv, fake, _ := socialServer(t, backend)
			owner := signUp(t, srv, "owner")
			org := requireMFAOrg(t, srv, owner, "Strict "+testenv.Unique())
			who := upstreamtest.User{Subject: "g-" + testenv.Unique(), Email: unique("enrol-social"), EmailVerified: true, Name: "Grace"}
			first := newPageBrowser(t, srv)
			wantRedirect(t, first.externalSignIn(t, fake, "google", "/account", who), "/account")
			join(t, srv, org.ID, owner, orgAccount{email: who.Email, token: first.session()}, "member")

			// A single-page app's login code exchanges for a session that
			// names the organization.
			spa := newPageBrowser(t, srv)
			a := spa.externalSignIn(t, fake, "google", spaOrigin+"/callback", who)
			cb, err := url.Parse(a.header.Get("Location"))
			if err != nil || cb.Query().Get("login_code") == "" {
				t.Fatalf("spa callback: %d %s", a.status, a.header.Get("Location"))
			}
			var got enrolmentNotice
			sessExpect(t, srv.Do(t, "POST", "/api/v1/auth/external/exchange", map[string]any{"login_code": cb.Query().Get("login_code")}, ""), http.StatusOK).Decode(t, &got)
			if got.Token == "" || got.Required == nil || !*got.Required || len(got.Organizations) != 1 || got.Organizations[0].ID != org.ID {
				t.Fatalf("exchange: %+v", got)
			}
			mfaExpectError(t, srv.Do(t, "GET", "/api/v1/organizations/"+org.ID, nil, got.Token), 403, "organizations.mfa_enrolment_required")

			// The browser's callback puts the session in the cookie and
			// sends it to enrol first.
			b := newPageBrowser(t, srv)
			wantRedirect(t, b.externalSignIn(t, fake, "google", "/account", who), "/account/security?return_to=%2Faccount")
			if b.session() == "" {
				t.Fatal("the callback set no session")
			}
		})
	}
}

var (
	pageSecret = regexp.MustCompile(`<code id="totp-secret">([A-Z2-7]+)</code>`)
	pageFactor = regexp.MustCompile(`name="factor" value="([0-9a-f-]{36})"`)
	pageURI    = regexp.MustCompile(`name="uri" value="([^"]+)"`)
	pageCodes  = regexp.MustCompile(`<li><code>([0-9a-z]{5}-[0-9a-z]{5})</code></li>`)
)

func TestMFA_TheLoginPageSendsAMemberOwingAFactorToEnrolAndOnToWhereTheyWereGoing(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := startOrgServer(t, backend)
			owner, member := signUp(t, srv, "owner"), signUp(t, srv, "member")
			org := requireMFAOrg(t, srv, owner, "Strict "+testenv.Unique())
			join(t, srv, org.ID, owner, member, "member")

			// A return target elsewhere is dropped, as /login drops it.
			wantRedirect(t, newPageBrowser(t, srv).signInPage(t, member.email, orgPassword, "https://evil.example/x"), "/account/security?return_to=%2Faccount")
			b := newPageBrowser(t, srv)
			wantRedirect(t, b.signInPage(t, member.email, orgPassword, "/invitations/accept?token=x"), "/account/security?return_to=%2Finvitations%2Faccept%3Ftoken%3Dx")
			page := b.send(t, "GET", "/account/security?return_to="+url.QueryEscape("/invitations/accept?token=x"), nil)
			if page.status != http.StatusOK || !strings.Contains(page.body, `id="enrolment-due"`) || !strings.Contains(page.body, org.Name) ||
				!strings.Contains(page.body, `href="/invitations/accept?token=x" id="continue"`) {
				t.Fatalf("security page: %d\n%s", page.status, page.body)
			}
			csrf := formToken(t, page)
			back := url.Values{"csrf_token": {csrf}, "return_to": {"/invitations/accept?token=x"}}

			// Forms without the session's CSRF token change nothing.
			if a := b.send(t, "POST", "/account/security/totp", url.Values{"csrf_token": {"forged"}}); a.status != http.StatusForbidden || !strings.Contains(a.header.Get("Content-Type"), "text/html") {
				t.Fatalf("forged form: %d %s", a.status, a.body)
			}
			setup := b.send(t, "POST", "/account/security/totp", back)
			secret, factor, uri := pageSecret.FindStringSubmatch(setup.body), pageFactor.FindStringSubmatch(setup.body), pageURI.FindStringSubmatch(setup.body)
			if setup.status != http.StatusOK || secret == nil || factor == nil || uri == nil || !strings.Contains(setup.body, `href="otpauth://totp/`) {
				t.Fatalf("setup: %d\n%s", setup.status, setup.body)
			}
			// A wrong code and a malformed factor confirm nothing.
			confirm := url.Values{"csrf_token": {csrf}, "return_to": {"/invitations/accept?token=x"}, "factor": {factor[1]}, "code": {"000000"},
				"secret": {secret[1]}, "uri": {html.UnescapeString(uri[1])}}
			if a := b.send(t, "POST", "/account/security/totp/confirm", confirm); a.status != http.StatusBadRequest || !strings.Contains(a.body, `id="totp-secret"`) {
				t.Fatalf("wrong code: %d\n%s", a.status, a.body)
			}
			confirm.Set("code", totpAt(t, secret[1], time.Now()))
			confirm.Set("factor", "not-a-factor")
			if a := b.send(t, "POST", "/account/security/totp/confirm", confirm); a.status != http.StatusNotFound || !strings.Contains(a.header.Get("Content-Type"), "text/html") {
				t.Fatalf("malformed factor: %d\n%s", a.status, a.body)
			}
			mfaExpectError(t, srv.Do(t, "GET", "/api/v1/organizations/"+org.ID, nil, b.session()), 403, "organizations.mfa_enrolment_required")

			confirm.Set("factor", factor[1])
			done := b.send(t, "POST", "/account/security/totp/confirm", confirm)
			if done.status != http.StatusOK || len(pageCodes.FindAllStringSubmatch(done.body, -1)) != 10 ||
				strings.Contains(done.body, `id="enrolment-due"`) || !strings.Contains(done.body, `href="/invitations/accept?token=x" id="continue"`) {
				t.Fatalf("confirmed: %d\n%s", done.status, done.body)
			}
			sessExpect(t, srv.Do(t, "GET", "/api/v1/organizations/"+org.ID, nil, b.session()), http.StatusOK)
			// The codes are shown once.
			if again := b.send(t, "GET", "/account/security", nil); pageCodes.MatchString(again.body) || !strings.Contains(again.body, "Recovery codes left: 10") {
				t.Fatalf("page after: %s", again.body)
			}
		})
	}
}
