//go:build integration

package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/secuird/authy/adapters/upstream/oauthproviders/upstreamtest"
	"github.com/secuird/authy/tests/apitest"
	"github.com/secuird/authy/tests/testenv"
)

func TestSSOSignIn_ALaterSignInTakesTheAssertedAddressOnlyWhenItIsTheAccountsToTake(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv, dns, idp := ssoSignInServer(t, backend)
			owner := signUp(t, srv, "owner")
			org := createOrg(t, srv, owner, map[string]any{"name": "Corp"})
			domain := verifiedDomain(t, srv, dns, org.ID, owner)
			conn := createConnection(t, srv, idp, org.ID, owner, map[string]any{"domains": []string{domain}})
			orgAudit := func() string {
				return string(expect(t, srv.Do(t, "GET", "/api/v1/organizations/"+org.ID+"/audit-logs?limit=100", nil, owner.token), http.StatusOK).Body)
			}
			sub := "corp-" + testenv.Unique()
			first := "alice-" + testenv.Unique() + "@" + domain
			b := newPageBrowser(t, srv)
			a, _ := b.ssoSignIn(t, idp, conn.ID, "", upstreamtest.User{Subject: sub, Email: first, Name: "Alice"})
			wantRedirect(t, a, "/account")
			earlier := b.session()
			alice := meOf(t, srv, earlier).ID

			renamed := "alice.roe-" + testenv.Unique() + "@" + domain
			t.Run("an address in the organization's verified domains that nobody has is taken, verified and audited without the addresses", func(t *testing.T) {
				later := newPageBrowser(t, srv)
				a, _ := later.ssoSignIn(t, idp, conn.ID, "", upstreamtest.User{Subject: sub, Email: strings.ToUpper(renamed), Name: "Alice Roe"})
				wantRedirect(t, a, "/account")
				me := meOf(t, srv, later.session())
				if me.ID != alice || me.Email != renamed || !me.EmailVerified || me.Name != "Alice Roe" {
					t.Fatalf("me %+v", me)
				}
				// The earlier session is the same person's: it stays.
				if meOf(t, srv, earlier).Email != renamed {
					t.Fatal("the earlier session does not see the new address")
				}
				own := string(expect(t, srv.Do(t, "GET", "/api/v1/users/me/audit-logs?action=user.email.changed", nil, earlier), http.StatusOK).Body)
				if !strings.Contains(own, `"user.email.changed"`) || !strings.Contains(own, `"via":"sso"`) || !strings.Contains(own, conn.ID) {
					t.Fatalf("no user.email.changed record: %s", own)
				}
				if strings.Contains(own, first) || strings.Contains(own, renamed) {
					t.Fatalf("the record holds an address: %s", own)
				}
				// The old address is free again: it can register.
				expect(t, srv.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": first, "password": orgPassword, "name": "New"}, ""), http.StatusCreated)
			})

			t.Run("another account's address is refused: its holder keeps it and the subject keeps its own account", func(t *testing.T) {
				bobEmail := "bob-" + testenv.Unique() + "@" + domain
				expect(t, srv.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": bobEmail, "password": orgPassword, "name": "Bob"}, ""), http.StatusCreated)
				verifyEmailOf(t, srv, bobEmail)
				bob := orgLogin(t, srv, bobEmail)
				later := newPageBrowser(t, srv)
				a, _ := later.ssoSignIn(t, idp, conn.ID, "", upstreamtest.User{Subject: sub, Email: bobEmail, Name: "Alice Roe"})
				wantRedirect(t, a, "/account")
				if me := meOf(t, srv, later.session()); me.ID != alice || me.Email != renamed {
					t.Fatalf("the sign-in went to %+v", me)
				}
				if again := orgLogin(t, srv, bobEmail); again != bob {
					t.Fatalf("bob's address now signs in %s", again)
				}
				log := orgAudit()
				if !strings.Contains(log, `"auth.sso.email_not_updated"`) || !strings.Contains(log, `"reason":"email_taken"`) {
					t.Fatalf("no refusal record: %s", log)
				}
				if strings.Contains(log, bobEmail) {
					t.Fatal("the refusal record holds the address")
				}
			})

			t.Run("an address the account moved out of the organization's domains stays the account's", func(t *testing.T) {
				home := "alice-" + testenv.Unique() + "@home.example"
				expect(t, srv.Do(t, "PATCH", "/api/v1/users/me", map[string]any{"email": home}, earlier), http.StatusAccepted)
				expect(t, srv.Do(t, "POST", "/api/v1/auth/verify-email", map[string]any{"token": waitForLink(t, srv, home, "/verify-email", 1)}, ""), http.StatusOK)
				later := newPageBrowser(t, srv)
				a, _ := later.ssoSignIn(t, idp, conn.ID, "", upstreamtest.User{Subject: sub, Email: renamed, Name: "Alice Roe"})
				wantRedirect(t, a, "/account")
				if me := meOf(t, srv, later.session()); me.ID != alice || me.Email != home {
					t.Fatalf("me %+v", me)
				}
				if !strings.Contains(orgAudit(), `"reason":"address_not_managed"`) {
					t.Fatal("no address_not_managed record")
				}
			})

			t.Run("an address outside the connection's domains is refused whole", func(t *testing.T) {
				later := newPageBrowser(t, srv)
				a, _ := later.ssoSignIn(t, idp, conn.ID, "", upstreamtest.User{Subject: sub, Email: "alice@elsewhere.example"})
				wantRedirect(t, a, "/login?error=sso.email_outside_domains")
				if later.session() != "" {
					t.Fatal("a session after the refusal")
				}
			})
		})
	}
}
