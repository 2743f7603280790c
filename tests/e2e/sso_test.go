//go:build integration

package e2e

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/secuird/authy/adapters/upstream/dnstxt/dnstxttest"
	"github.com/secuird/authy/adapters/upstream/oauthproviders/upstreamtest"
	"github.com/secuird/authy/bootstrap"
	"github.com/secuird/authy/tests/apitest"
	"github.com/secuird/authy/tests/testenv"
)

// ssoServer boots a server whose domain verification asks a loopback DNS
// server and whose connections may reach a loopback identity provider.
func ssoServer(t *testing.T, backend apitest.Backend) (*apitest.Server, *dnstxttest.Server, *upstreamtest.Server) {
	t.Helper()
	dns := dnstxttest.Start(t)
	idp := upstreamtest.Start(t)
	srv := startOrgServer(t, backend, apitest.WithOwnPublicURL(), apitest.WithConfig(func(c *bootstrap.Config) {
		c.DNSResolver = dns.Addr
		c.SSOAllowPrivateIdP = true
		c.AuthReturnURLs = []string{spaOrigin}
	}))
	return srv, dns, idp
}

type ssoDomainView struct {
	Domain    string  `json:"domain"`
	Verified  bool    `json:"verified"`
	VerfiedAt *string `json:"verified_at"`
	Challenge struct {
		Type  string `json:"type"`
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"challenge"`
}

type ssoConnectionView struct {
	ID          string   `json:"id"`
	Type        string   `json:"type"`
	Name        string   `json:"name"`
	Domains     []string `json:"domains"`
	DefaultRole string   `json:"default_role"`
	Enforce     bool     `json:"enforce"`
	// IdPEnforcesMFA is the organization's word for its provider's MFA.
	IdPEnforcesMFA bool   `json:"idp_enforces_mfa"`
	Issuer         string `json:"issuer"`
	ClientID       string `json:"client_id"`
	RedirectURI    string `json:"redirect_uri"`
}

// verifiedDomain claims a fresh domain for org, publishes its record and
// verifies it.
func verifiedDomain(t *testing.T, srv *apitest.Server, dns *dnstxttest.Server, org string, owner orgAccount) string {
	t.Helper()
	name := "corp-" + testenv.Unique() + ".example"
	var d ssoDomainView
	expect(t, srv.Do(t, "POST", "/api/v1/organizations/"+org+"/domains", map[string]any{"domain": name}, owner.token), http.StatusCreated).Decode(t, &d)
	dns.SetTXT(d.Challenge.Name, d.Challenge.Value)
	expect(t, srv.Do(t, "POST", "/api/v1/organizations/"+org+"/domains/"+name+"/verify", nil, owner.token), http.StatusOK)
	return name
}

func createConnection(t *testing.T, srv *apitest.Server, idp *upstreamtest.Server, org string, owner orgAccount, body map[string]any) ssoConnectionView {
	t.Helper()
	full := map[string]any{"type": "oidc", "name": "Corp IdP", "issuer": idp.Issuer(), "client_id": upstreamtest.ClientID, "client_secret": upstreamtest.ClientSecret}
	for k, v := range body {
		full[k] = v
	}
	var c ssoConnectionView
	expect(t, srv.Do(t, "POST", "/api/v1/organizations/"+org+"/sso-connections", full, owner.token), http.StatusCreated).Decode(t, &c)
	return c
}

func wantCode(t *testing.T, res *apitest.Response, status int, code string) {
	t.Helper()
	if res.Status != status || res.Env.Error == nil || res.Env.Error.Code != code {
		t.Fatalf("want %d %s, got %d %s", status, code, res.Status, res.Body)
	}
}

func TestSSODomains_OwnersProveADomainByDNSAndOnlyOneOrganizationVerifiesIt(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv, dns, _ := ssoServer(t, backend)
			owner := signUp(t, srv, "owner")
			org := createOrg(t, srv, owner, map[string]any{"name": "Corp"})
			base := "/api/v1/organizations/" + org.ID + "/domains"

			t.Run("a domain is claimed with a TXT challenge and verified once the record is published", func(t *testing.T) {
				name := "Corp-" + testenv.Unique() + ".Example"
				var d ssoDomainView
				expect(t, srv.Do(t, "POST", base, map[string]any{"domain": " " + name + " "}, owner.token), http.StatusCreated).Decode(t, &d)
				lower := strings.ToLower(name)
				if d.Domain != lower || d.Verified || d.Challenge.Type != "TXT" || d.Challenge.Name != "_authy-challenge."+lower ||
					!strings.HasPrefix(d.Challenge.Value, "authy-domain-verification=") {
					t.Fatalf("claimed %+v", d)
				}
				wantCode(t, srv.Do(t, "POST", base, map[string]any{"domain": lower}, owner.token), http.StatusConflict, "sso.domain_exists")
				wantCode(t, srv.Do(t, "POST", base+"/"+lower+"/verify", nil, owner.token), http.StatusConflict, "sso.challenge_not_found")
				dns.SetTXT(d.Challenge.Name, "authy-domain-verification=someone-elses-token")
				wantCode(t, srv.Do(t, "POST", base+"/"+lower+"/verify", nil, owner.token), http.StatusConflict, "sso.challenge_not_found")
				dns.SetTXT(d.Challenge.Name, "v=spf1 -all", d.Challenge.Value)
				var v ssoDomainView
				expect(t, srv.Do(t, "POST", base+"/"+lower+"/verify", nil, owner.token), http.StatusOK).Decode(t, &v)
				if !v.Verified || v.VerfiedAt == nil {
					t.Fatalf("verified %+v", v)
				}
				var list []ssoDomainView
				expect(t, srv.Do(t, "GET", base, nil, owner.token), http.StatusOK).Decode(t, &list)
				if len(list) != 1 || !list[0].Verified {
					t.Fatalf("list %+v", list)
				}
				// Another organization cannot claim what this one verified.
				other := signUp(t, srv, "other")
				otherOrg := createOrg(t, srv, other, map[string]any{"name": "Other"})
				wantCode(t, srv.Do(t, "POST", "/api/v1/organizations/"+otherOrg.ID+"/domains", map[string]any{"domain": lower}, other.token),
					http.StatusConflict, "sso.domain_verified_elsewhere")
				audit := srv.Do(t, "GET", "/api/v1/organizations/"+org.ID+"/audit-logs", nil, owner.token)
				for _, action := range []string{"organization.domain.added", "organization.domain.verified"} {
					if !strings.Contains(string(audit.Body), action) {
						t.Errorf("no %s record: %s", action, audit.Body)
					}
				}
			})

			t.Run("two organizations racing to verify one domain: exactly one wins", func(t *testing.T) {
				name := "race-" + testenv.Unique() + ".example"
				type claim struct {
					owner orgAccount
					org   string
				}
				var claims []claim
				for i := range 2 {
					o := signUp(t, srv, "racer")
					g := createOrg(t, srv, o, map[string]any{"name": "Racer"})
					var d ssoDomainView
					expect(t, srv.Do(t, "POST", "/api/v1/organizations/"+g.ID+"/domains", map[string]any{"domain": name}, o.token), http.StatusCreated).Decode(t, &d)
					if i == 0 {
						dns.SetTXT(d.Challenge.Name, d.Challenge.Value)
					} else {
						prev := claims[0]
						var first []ssoDomainView
						expect(t, srv.Do(t, "GET", "/api/v1/organizations/"+prev.org+"/domains", nil, prev.owner.token), http.StatusOK).Decode(t, &first)
						dns.SetTXT(d.Challenge.Name, first[0].Challenge.Value, d.Challenge.Value)
					}
					claims = append(claims, claim{o, g.ID})
				}
				statuses := make([]int, 2)
				var wg sync.WaitGroup
				for i, c := range claims {
					wg.Add(1)
					go func() {
						defer wg.Done()
						statuses[i] = srv.Do(t, "POST", "/api/v1/organizations/"+c.org+"/domains/"+name+"/verify", nil, c.owner.token).Status
					}()
				}
				wg.Wait()
				ok, conflict := 0, 0
				for _, s := range statuses {
					switch s {
					case http.StatusOK:
						ok++
					case http.StatusConflict:
						conflict++
					}
				}
				if ok != 1 || conflict != 1 {
					t.Fatalf("statuses %v", statuses)
				}
			})

			t.Run("bad names, members, strangers and a failing resolver are refused and change nothing", func(t *testing.T) {
				for _, bad := range []string{"*.corp.example", "127.0.0.1", "localhost", "corp.example.", "corp.example:443", "http://corp.example", strings.Repeat("a", 64) + ".example"} {
					res := srv.Do(t, "POST", base, map[string]any{"domain": bad}, owner.token)
					if res.Status != http.StatusBadRequest || res.Env.Error.Details["domain"] == nil {
						t.Errorf("%q: %d %s", bad, res.Status, res.Body)
					}
				}
				member := signUp(t, srv, "member")
				join(t, srv, org.ID, owner, member, "admin")
				wantCode(t, srv.Do(t, "POST", base, map[string]any{"domain": "x-" + testenv.Unique() + ".example"}, member.token), http.StatusForbidden, "sso.forbidden")
				stranger := signUp(t, srv, "stranger")
				wantCode(t, srv.Do(t, "GET", base, nil, stranger.token), http.StatusNotFound, "organizations.not_found")
				wantCode(t, srv.Do(t, "GET", "/api/v1/organizations/not-an-id/domains", nil, owner.token), http.StatusNotFound, "organizations.not_found")
				name := "down-" + testenv.Unique() + ".example"
				expect(t, srv.Do(t, "POST", base, map[string]any{"domain": name}, owner.token), http.StatusCreated)
				dns.SetDown(true)
				wantCode(t, srv.Do(t, "POST", base+"/"+name+"/verify", nil, owner.token), http.StatusServiceUnavailable, "sso.dns_unavailable")
				dns.SetDown(false)
				wantCode(t, srv.Do(t, "POST", base+"/unknown-"+testenv.Unique()+".example/verify", nil, owner.token), http.StatusNotFound, "sso.domain_not_found")
				expect(t, srv.Do(t, "DELETE", base+"/"+name, nil, owner.token), http.StatusOK)
				wantCode(t, srv.Do(t, "DELETE", base+"/"+name, nil, owner.token), http.StatusNotFound, "sso.domain_not_found")
			})

			t.Run("verification is rate-limited per domain", func(t *testing.T) {
				name := "limited-" + testenv.Unique() + ".example"
				expect(t, srv.Do(t, "POST", base, map[string]any{"domain": name}, owner.token), http.StatusCreated)
				var last *apitest.Response
				for range 11 {
					last = srv.Do(t, "POST", base+"/"+name+"/verify", nil, owner.token)
				}
				wantCode(t, last, http.StatusTooManyRequests, "sso.verify_rate_limited")
				if last.Header.Get("Retry-After") == "" {
					t.Fatal("no Retry-After")
				}
			})
		})
	}
}

func TestSSOConnections_OwnersManageConnectionsOfVerifiedDomainsAndTheSecretNeverComesBack(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv, dns, idp := ssoServer(t, backend)
			owner := signUp(t, srv, "owner")
			org := createOrg(t, srv, owner, map[string]any{"name": "Corp"})
			base := "/api/v1/organizations/" + org.ID + "/sso-connections"
			domain := verifiedDomain(t, srv, dns, org.ID, owner)

			c := createConnection(t, srv, idp, org.ID, owner, map[string]any{"domains": []string{strings.ToUpper(domain)}, "enforce": true, "default_role": "admin"})
			if c.Type != "oidc" || len(c.Domains) != 1 || c.Domains[0] != domain || c.DefaultRole != "admin" || !c.Enforce ||
				c.RedirectURI != srv.URL+"/api/v1/auth/sso/"+c.ID+"/callback" {
				t.Fatalf("created %+v", c)
			}
			for _, path := range []string{base, base + "/" + c.ID} {
				res := expect(t, srv.Do(t, "GET", path, nil, owner.token), http.StatusOK)
				if strings.Contains(string(res.Body), upstreamtest.ClientSecret) || strings.Contains(string(res.Body), "secret") {
					t.Fatalf("%s shows the secret: %s", path, res.Body)
				}
			}
			var tested struct {
				OK      bool   `json:"ok"`
				Problem string `json:"problem"`
			}
			expect(t, srv.Do(t, "POST", base+"/"+c.ID+"/test", nil, owner.token), http.StatusOK).Decode(t, &tested)
			if !tested.OK {
				t.Fatalf("test %+v", tested)
			}

			t.Run("refusals: unverified or routed domains, bad fields, SAML, other organizations", func(t *testing.T) {
				pending := "pending-" + testenv.Unique() + ".example"
				expect(t, srv.Do(t, "POST", "/api/v1/organizations/"+org.ID+"/domains", map[string]any{"domain": pending}, owner.token), http.StatusCreated)
				full := map[string]any{"type": "oidc", "name": "X", "domains": []string{pending}, "issuer": idp.Issuer(), "client_id": "x", "client_secret": "y"}
				with := func(k string, v any) map[string]any {
					m := map[string]any{}
					for kk, vv := range full {
						m[kk] = vv
					}
					m[k] = v
					return m
				}
				wantCode(t, srv.Do(t, "POST", base, with("domains", []string{pending}), owner.token), http.StatusBadRequest, "sso.domain_not_verified")
				wantCode(t, srv.Do(t, "POST", base, with("domains", []string{domain}), owner.token), http.StatusConflict, "sso.domain_routed_elsewhere")
				for field, v := range map[string]any{"type": "ldap", "default_role": "owner", "issuer": "ftp://idp.example", "name": ""} {
					res := srv.Do(t, "POST", base, with(field, v), owner.token)
					if res.Status != http.StatusBadRequest || res.Env.Error.Details[field] == nil {
						t.Errorf("%s=%v: %d %s", field, v, res.Status, res.Body)
					}
				}
				if res := srv.Do(t, "POST", base, with("type", "saml"), owner.token); res.Status != http.StatusBadRequest {
					t.Errorf("saml: %d %s", res.Status, res.Body)
				}
				// A routed domain cannot be removed.
				wantCode(t, srv.Do(t, "DELETE", "/api/v1/organizations/"+org.ID+"/domains/"+domain, nil, owner.token), http.StatusConflict, "sso.domain_in_use")
				other := signUp(t, srv, "other")
				otherOrg := createOrg(t, srv, other, map[string]any{"name": "Other"})
				wantCode(t, srv.Do(t, "GET", "/api/v1/organizations/"+otherOrg.ID+"/sso-connections/"+c.ID, nil, other.token), http.StatusNotFound, "sso.connection_not_found")
				wantCode(t, srv.Do(t, "GET", base+"/"+c.ID, nil, other.token), http.StatusNotFound, "organizations.not_found")
				wantCode(t, srv.Do(t, "GET", base+"/not-a-uuid", nil, owner.token), http.StatusNotFound, "sso.connection_not_found")
			})

			t.Run("a change is audited, and a broken issuer fails the test", func(t *testing.T) {
				var changed ssoConnectionView
				expect(t, srv.Do(t, "PATCH", base+"/"+c.ID, map[string]any{"enforce": false, "name": "Renamed"}, owner.token), http.StatusOK).Decode(t, &changed)
				if changed.Enforce || changed.Name != "Renamed" {
					t.Fatalf("changed %+v", changed)
				}
				expect(t, srv.Do(t, "PATCH", base+"/"+c.ID, map[string]any{"issuer": idp.URL + "/nothing-here"}, owner.token), http.StatusOK)
				expect(t, srv.Do(t, "POST", base+"/"+c.ID+"/test", nil, owner.token), http.StatusOK).Decode(t, &tested)
				if tested.OK || tested.Problem == "" {
					t.Fatalf("test of a broken issuer %+v", tested)
				}
				audit := string(srv.Do(t, "GET", "/api/v1/organizations/"+org.ID+"/audit-logs", nil, owner.token).Body)
				for _, action := range []string{"organization.sso_connection.created", "organization.sso_connection.changed"} {
					if !strings.Contains(audit, action) {
						t.Errorf("no %s record", action)
					}
				}
				if strings.Contains(audit, upstreamtest.ClientSecret) {
					t.Fatal("the audit shows the secret")
				}
			})

			t.Run("deleting the connection frees its domain", func(t *testing.T) {
				expect(t, srv.Do(t, "DELETE", base+"/"+c.ID, nil, owner.token), http.StatusOK)
				wantCode(t, srv.Do(t, "GET", base+"/"+c.ID, nil, owner.token), http.StatusNotFound, "sso.connection_not_found")
				expect(t, srv.Do(t, "DELETE", "/api/v1/organizations/"+org.ID+"/domains/"+domain, nil, owner.token), http.StatusOK)
			})
		})
	}
}
