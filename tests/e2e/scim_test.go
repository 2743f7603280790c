//go:build integration

package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/secuird/authy/adapters/upstream/dnstxt/dnstxttest"
	"github.com/secuird/authy/bootstrap"
	"github.com/secuird/authy/tests/apitest"
	"github.com/secuird/authy/tests/testenv"
)

// scimClient speaks SCIM to one organization's endpoints with a token.
type scimClient struct {
	srv   *apitest.Server
	org   string
	token string
}

type scimResponse struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (c scimClient) do(t *testing.T, method, path, body string) scimResponse {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, "/scim/v2/"+c.org+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res := c.srv.Raw(t, req)
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := scimResponse{status: res.StatusCode, header: res.Header, raw: string(raw)}
	if len(raw) > 0 {
		if !strings.HasPrefix(res.Header.Get("Content-Type"), "application/scim+json") {
			t.Fatalf("%s %s: content type %q: %s", method, path, res.Header.Get("Content-Type"), raw)
		}
		if err := json.Unmarshal(raw, &out.body); err != nil {
			t.Fatalf("%s %s: not JSON: %s", method, path, raw)
		}
	}
	return out
}

func (r scimResponse) want(t *testing.T, status int) scimResponse {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	return r
}

// wantError checks an RFC 7644 §3.12 error.
func (r scimResponse) wantError(t *testing.T, status int, scimType string) {
	t.Helper()
	r.want(t, status)
	schemas, _ := r.body["schemas"].([]any)
	if len(schemas) != 1 || schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" || r.body["status"] != fmt.Sprint(status) {
		t.Fatalf("not a SCIM error: %s", r.raw)
	}
	if got, _ := r.body["scimType"].(string); got != scimType {
		t.Fatalf("scimType %q, want %q: %s", got, scimType, r.raw)
	}
}

func (r scimResponse) str(key string) string { s, _ := r.body[key].(string); return s }

func newSCIMToken(t *testing.T, srv *apitest.Server, org string, owner orgAccount, name string) (id, token string) {
	t.Helper()
	var v struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}
	expect(t, srv.Do(t, "POST", "/api/v1/organizations/"+org+"/scim-tokens", map[string]any{"name": name}, owner.token), http.StatusCreated).Decode(t, &v)
	if len(v.Token) != 43 {
		t.Fatalf("token %q is not 256 bits of URL-safe base64", v.Token)
	}
	return v.ID, v.Token
}

func filterPath(expr string) string {
	return "/Users?filter=" + url.QueryEscape(expr) + "&startIndex=1&count=100"
}

func TestSCIM_OktaAndEntraIDProvisionDeactivateAndDeleteOnBothBackends(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			dns := dnstxttest.Start(t)
			srv := startOrgServer(t, backend, apitest.WithConfig(func(c *bootstrap.Config) { c.DNSResolver = dns.Addr }))
			owner := signUp(t, srv, "scim-owner")
			org := createOrg(t, srv, owner, map[string]any{"name": "SCIM Corp"}).ID
			admin := signUp(t, srv, "scim-admin")
			join(t, srv, org, owner, admin, "admin")

			// Only owners manage tokens; a stranger learns nothing.
			stranger := signUp(t, srv, "scim-stranger")
			expect(t, srv.Do(t, "POST", "/api/v1/organizations/"+org+"/scim-tokens", map[string]any{"name": "x"}, admin.token), http.StatusForbidden)
			expect(t, srv.Do(t, "POST", "/api/v1/organizations/"+org+"/scim-tokens", map[string]any{"name": "x"}, stranger.token), http.StatusNotFound)
			tokenID, token := newSCIMToken(t, srv, org, owner, "Okta")
			list := expect(t, srv.Do(t, "GET", "/api/v1/organizations/"+org+"/scim-tokens", nil, owner.token), http.StatusOK)
			if strings.Contains(string(list.Body), token) || !strings.Contains(string(list.Body), tokenID) {
				t.Fatalf("the token list shows the secret or misses the token: %s", list.Body)
			}
			c := scimClient{srv: srv, org: org, token: token}

			t.Run("discovery", func(t *testing.T) {
				sp := c.do(t, "GET", "/ServiceProviderConfig", "").want(t, http.StatusOK)
				if patch, _ := sp.body["patch"].(map[string]any); patch["supported"] != true {
					t.Fatalf("service provider config: %s", sp.raw)
				}
				rt := c.do(t, "GET", "/ResourceTypes", "").want(t, http.StatusOK)
				if !strings.Contains(rt.raw, `"endpoint":"/Users"`) {
					t.Fatalf("resource types: %s", rt.raw)
				}
				sc := c.do(t, "GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", "").want(t, http.StatusOK)
				if !strings.Contains(sc.raw, `"userName"`) {
					t.Fatalf("schema: %s", sc.raw)
				}
			})

			t.Run("okta", func(t *testing.T) {
				email := fmt.Sprintf("okta-%s@example.com", testenv.Unique())
				// Okta looks the user up first, then creates it.
				found := c.do(t, "GET", filterPath(`userName eq "`+email+`"`), "").want(t, http.StatusOK)
				if found.body["totalResults"] != float64(0) {
					t.Fatalf("lookup before create: %s", found.raw)
				}
				created := c.do(t, "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+email+`",
					"name":{"givenName":"Olga","familyName":"Kta"},"emails":[{"primary":true,"value":"`+email+`","type":"work"}],
					"displayName":"Olga Kta","locale":"en-US","externalId":"00u1okta","groups":[],"active":true}`).want(t, http.StatusCreated)
				id := created.str("id")
				if created.str("userName") != email || created.body["active"] != true || created.header.Get("Location") == "" {
					t.Fatalf("created: %s", created.raw)
				}
				if !strings.EqualFold(roleOf(members(t, srv, org, owner), email), "active:member") {
					t.Fatalf("the provisioned person is not a member: %v", members(t, srv, org, owner))
				}
				c.do(t, "GET", "/Users/"+id, "").want(t, http.StatusOK)
				byFilter := c.do(t, "GET", filterPath(`userName eq "`+strings.ToUpper(email)+`"`), "").want(t, http.StatusOK)
				if byFilter.body["totalResults"] != float64(1) || byFilter.body["itemsPerPage"] != float64(1) {
					t.Fatalf("lookup after create: %s", byFilter.raw)
				}
				// Okta deactivates with a pathless replace.
				off := c.do(t, "PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
					"Operations":[{"op":"replace","value":{"active":false}}]}`).want(t, http.StatusOK)
				if off.body["active"] != false {
					t.Fatalf("deactivated: %s", off.raw)
				}
				if roleOf(members(t, srv, org, owner), email) != "" {
					t.Fatal("a deactivated person is still a member")
				}
				// Okta reactivates with a PUT of the whole user.
				on := c.do(t, "PUT", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"`+id+`","userName":"`+email+`",
					"name":{"givenName":"Olga","familyName":"Kta-Renamed"},"emails":[{"primary":true,"value":"`+email+`","type":"work"}],"active":true}`).want(t, http.StatusOK)
				if on.body["active"] != true || !strings.Contains(on.raw, "Kta-Renamed") {
					t.Fatalf("replaced: %s", on.raw)
				}
				if roleOf(members(t, srv, org, owner), email) != "active:member" {
					t.Fatal("a reactivated person is not a member again")
				}
				c.do(t, "DELETE", "/Users/"+id, "").want(t, http.StatusNoContent)
				c.do(t, "GET", "/Users/"+id, "").wantError(t, http.StatusNotFound, "")
				if roleOf(members(t, srv, org, owner), email) != "" {
					t.Fatal("a deleted person is still a member")
				}
			})

			t.Run("entra", func(t *testing.T) {
				email := fmt.Sprintf("entra-%s@example.com", testenv.Unique())
				ext := "entra-" + testenv.Unique()
				c.do(t, "GET", filterPath(`externalId eq "`+ext+`"`), "").want(t, http.StatusOK)
				created := c.do(t, "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
					"externalId":"`+ext+`","userName":"`+email+`","active":true,"displayName":"Erin Tra",
					"emails":[{"primary":true,"type":"work","value":"`+email+`"}],"meta":{"resourceType":"User"},
					"name":{"formatted":"Erin Tra","familyName":"Tra","givenName":"Erin"},"title":"Engineer",
					"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R&D"}}`).want(t, http.StatusCreated)
				id := created.str("id")
				got := c.do(t, "GET", filterPath(`externalId eq "`+ext+`"`), "").want(t, http.StatusOK)
				if got.body["totalResults"] != float64(1) {
					t.Fatalf("externalId lookup: %s", got.raw)
				}
				patched := c.do(t, "PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
					{"op":"Replace","path":"displayName","value":"Erin T."},
					{"op":"Replace","path":"name.givenName","value":"Erina"},
					{"op":"Add","path":"emails[type eq \"home\"].value","value":"erin-home@example.org"},
					{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Ops"}]}`).want(t, http.StatusOK)
				if patched.str("displayName") != "Erin T." || !strings.Contains(patched.raw, "Erina") || !strings.Contains(patched.raw, "erin-home@example.org") {
					t.Fatalf("patched: %s", patched.raw)
				}
				// Entra ID deactivates with a string "False".
				off := c.do(t, "PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
					"Operations":[{"op":"Replace","path":"active","value":"False"}]}`).want(t, http.StatusOK)
				if off.body["active"] != false || roleOf(members(t, srv, org, owner), email) != "" {
					t.Fatalf("deactivated: %s", off.raw)
				}
				c.do(t, "DELETE", "/Users/"+id, "").want(t, http.StatusNoContent)
			})

			t.Run("signed in, then deactivated: the session is refused", func(t *testing.T) {
				email := fmt.Sprintf("signin-%s@example.com", testenv.Unique())
				id := c.do(t, "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+email+`","displayName":"Sam"}`).
					want(t, http.StatusCreated).str("id")
				// The person sets a password through the reset link.
				expect(t, srv.Do(t, "POST", "/api/v1/auth/password/forgot", map[string]any{"email": email}, ""), http.StatusAccepted)
				reset := waitForLink(t, srv, email, "/reset-password", 1)
				expect(t, srv.Do(t, "POST", "/api/v1/auth/password/reset", map[string]any{"token": reset, "new_password": orgPassword}, ""), http.StatusOK)
				person := login(t, srv, orgAccount{email: email})
				mine := expect(t, srv.Do(t, "GET", "/api/v1/users/me/organizations", nil, person.token), http.StatusOK)
				if !strings.Contains(string(mine.Body), org) {
					t.Fatalf("the provisioned person is not in the organization: %s", mine.Body)
				}
				c.do(t, "PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`).
					want(t, http.StatusOK)
				expect(t, srv.Do(t, "GET", "/api/v1/auth/me", nil, person.token), http.StatusUnauthorized)
			})

			t.Run("an existing account is invited, not enrolled", func(t *testing.T) {
				existing := signUp(t, srv, "scim-existing")
				c.do(t, "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+existing.email+`"}`).want(t, http.StatusCreated)
				if roleOf(members(t, srv, org, owner), existing.email) != "" {
					t.Fatal("SCIM enrolled an account that signed up on its own")
				}
				inv := expect(t, srv.Do(t, "GET", "/api/v1/users/me/invitations", nil, existing.token), http.StatusOK)
				if !strings.Contains(string(inv.Body), org) {
					t.Fatalf("no invitation: %s", inv.Body)
				}
				// Deactivating a person who never joined signs no one out.
				ids := c.do(t, "GET", filterPath(`userName eq "`+existing.email+`"`), "").want(t, http.StatusOK)
				res, _ := ids.body["Resources"].([]any)
				if len(res) != 1 {
					t.Fatalf("lookup: %s", ids.raw)
				}
				id, _ := res[0].(map[string]any)["id"].(string)
				c.do(t, "PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`).want(t, http.StatusOK)
				expect(t, srv.Do(t, "GET", "/api/v1/auth/me", nil, existing.token), http.StatusOK)
			})

			t.Run("in a verified domain, an existing account joins and a new one is verified", func(t *testing.T) {
				domain := verifiedDomain(t, srv, dns, org, owner)
				existing := orgAccount{email: "kim@" + domain, name: "Kim"}
				expect(t, srv.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": existing.email, "password": orgPassword, "name": "Kim"}, ""), http.StatusCreated)
				verifyEmailOf(t, srv, existing.email)
				c.do(t, "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+existing.email+`"}`).want(t, http.StatusCreated)
				if roleOf(members(t, srv, org, owner), existing.email) != "active:member" {
					t.Fatal("a verified account in a verified domain did not join")
				}
				fresh := "lee@" + domain
				c.do(t, "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+fresh+`"}`).want(t, http.StatusCreated)
				var verified bool
				if err := idDB(t, srv).Gorm().Raw("SELECT email_verified_at IS NOT NULL FROM users WHERE email_normalized = ?", fresh).Scan(&verified).Error; err != nil || !verified {
					t.Fatalf("the account opened in a verified domain is not verified (%v)", err)
				}
			})

			t.Run("bad input", func(t *testing.T) {
				email := fmt.Sprintf("bad-%s@example.com", testenv.Unique())
				c.do(t, "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":`).wantError(t, http.StatusBadRequest, "invalidSyntax")
				c.do(t, "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+email+`","favouriteColour":"blue"}`).
					wantError(t, http.StatusBadRequest, "invalidSyntax")
				c.do(t, "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"not an address"}`).
					wantError(t, http.StatusBadRequest, "invalidValue")
				c.do(t, "GET", filterPath(`userName co "x"`), "").wantError(t, http.StatusBadRequest, "invalidFilter")
				c.do(t, "GET", filterPath(`title eq "x"`), "").wantError(t, http.StatusBadRequest, "invalidFilter")
				id := c.do(t, "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+email+`"}`).want(t, http.StatusCreated).str("id")
				c.do(t, "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+strings.ToUpper(email)+`"}`).
					wantError(t, http.StatusConflict, "uniqueness")
				c.do(t, "PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"shoeSize","value":"42"}]}`).
					wantError(t, http.StatusBadRequest, "invalidPath")
				c.do(t, "PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"userName","value":"other@example.com"}]}`).
					wantError(t, http.StatusBadRequest, "mutability")
				if still := c.do(t, "GET", "/Users/"+id, "").want(t, http.StatusOK); still.str("userName") != email {
					t.Fatalf("a refused change changed the User: %s", still.raw)
				}
			})

			t.Run("tokens", func(t *testing.T) {
				// No token, a wrong one, or one of another organization: the
				// same 401, whatever the path names.
				other := createOrg(t, srv, owner, map[string]any{"name": "Other Corp"}).ID
				otherID, otherToken := newSCIMToken(t, srv, other, owner, "Other IdP")
				for _, bad := range []scimClient{
					{srv: srv, org: org},
					{srv: srv, org: org, token: "x" + token[1:]},
					{srv: srv, org: org, token: otherToken},
					{srv: srv, org: "00000000-0000-0000-0000-000000000000", token: token},
					{srv: srv, org: "not-an-id", token: otherToken},
				} {
					res := bad.do(t, "GET", "/Users", "")
					res.wantError(t, http.StatusUnauthorized, "")
					if res.header.Get("WWW-Authenticate") == "" {
						t.Fatal("a 401 without WWW-Authenticate")
					}
				}
				scimClient{srv: srv, org: other, token: otherToken}.do(t, "GET", "/Users", "").want(t, http.StatusOK)
				expect(t, srv.Do(t, "DELETE", "/api/v1/organizations/"+org+"/scim-tokens/"+otherID, nil, owner.token), http.StatusNotFound)
				expect(t, srv.Do(t, "DELETE", "/api/v1/organizations/"+other+"/scim-tokens/"+otherID, nil, owner.token), http.StatusOK)
				expect(t, srv.Do(t, "DELETE", "/api/v1/organizations/"+other+"/scim-tokens/"+otherID, nil, owner.token), http.StatusConflict)
				scimClient{srv: srv, org: other, token: otherToken}.do(t, "GET", "/Users", "").wantError(t, http.StatusUnauthorized, "")
			})

			actions := auditActions(t, srv, token)
			for _, a := range []string{"scim.token.created", "scim.token.revoked", "scim.user.created", "scim.user.updated",
				"scim.user.deactivated", "scim.user.reactivated", "scim.user.deleted", "auth.register.provisioned"} {
				if actions[a] == 0 {
					t.Errorf("no %s audit record (have %v)", a, actions)
				}
			}
		})
	}
}

// A directory cannot remove an organization's last owner: deactivating
// the owner's own SCIM user is refused in SCIM's error format and changes
// nothing (the membership, the sessions and the SCIM user stay). And a
// token that floods the endpoints is answered 429 with Retry-After before
// any database work, while another token of the organization still works.
func TestSCIM_TheLastOwnerStaysAndAFloodIsLimited(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := startOrgServer(t, backend, apitest.WithConfig(func(c *bootstrap.Config) { c.SCIMRateLimitPerToken = 15 }))
			owner := signUp(t, srv, "scim-last-owner")
			org := createOrg(t, srv, owner, map[string]any{"name": "Last Owner Corp"}).ID
			_, token := newSCIMToken(t, srv, org, owner, "Okta")
			c := scimClient{srv: srv, org: org, token: token}

			created := c.do(t, "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+owner.email+`",
				"emails":[{"primary":true,"value":"`+owner.email+`"}],"active":true}`)
			if created.status != http.StatusCreated {
				t.Fatalf("provision the owner's address: %d %s", created.status, created.raw)
			}
			id := created.str("id")
			off := c.do(t, "PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[{"op":"replace","path":"active","value":false}]}`)
			if off.status != http.StatusConflict {
				t.Fatalf("deactivating the last owner: %d %s", off.status, off.raw)
			}
			schemas, _ := off.body["schemas"].([]any)
			if len(schemas) != 1 || schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
				t.Fatalf("not a SCIM error: %s", off.raw)
			}
			if roleOf(members(t, srv, org, owner), owner.email) != "active:owner" {
				t.Fatalf("the last owner lost the membership: %v", members(t, srv, org, owner))
			}
			expect(t, srv.Do(t, "GET", "/api/v1/auth/me", nil, owner.token), http.StatusOK)
			if got := c.do(t, "GET", "/Users/"+id, "").want(t, http.StatusOK); got.body["active"] != true {
				t.Fatalf("the refused deactivation changed the SCIM user: %s", got.raw)
			}

			// The token has used 4 of its 15 requests a minute.
			var limited scimResponse
			for i := range 20 {
				limited = c.do(t, "GET", "/Users?count=1", "")
				if limited.status == http.StatusTooManyRequests {
					if i < 10 {
						t.Fatalf("limited after %d requests", i+4)
					}
					break
				}
				limited.want(t, http.StatusOK)
			}
			if limited.status != http.StatusTooManyRequests || limited.header.Get("Retry-After") == "" {
				t.Fatalf("a flood was not limited: %d %v %s", limited.status, limited.header, limited.raw)
			}
			limited.wantError(t, http.StatusTooManyRequests, "")
			_, other := newSCIMToken(t, srv, org, owner, "Entra ID")
			scimClient{srv: srv, org: org, token: other}.do(t, "GET", "/Users?count=1", "").want(t, http.StatusOK)
		})
	}
}

func TestSCIM_ATokenKeepsProvisioningWhenTheOrganizationRequiresMFAOfItsOwner(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := startOrgServer(t, backend)
			creator := signUp(t, srv, "scim-mfa-creator")
			org := createOrg(t, srv, creator, map[string]any{"name": "SCIM MFA Corp"}).ID
			_, token := newSCIMToken(t, srv, org, creator, "Okta")
			// A second owner with a factor turns the policy on; the token's
			// creator has none.
			second := signUp(t, srv, "scim-mfa-owner")
			join(t, srv, org, creator, second, "owner")
			mfaEnrolToken(t, srv, second.token)
			expect(t, srv.Do(t, "PATCH", "/api/v1/organizations/"+org, map[string]any{"require_mfa": true}, second.token), http.StatusOK)
			// The creator's interactive access is shut out...
			mfaExpectError(t, srv.Do(t, "GET", "/api/v1/organizations/"+org, nil, creator.token), 403, "organizations.mfa_enrolment_required")
			mfaExpectError(t, srv.Do(t, "GET", "/api/v1/organizations/"+org+"/scim-tokens", nil, creator.token), 403, "organizations.mfa_enrolment_required")

			// ...but the machine credential they made keeps working.
			c := scimClient{srv: srv, org: org, token: token}
			c.do(t, "GET", "/Users?count=1", "").want(t, http.StatusOK)
			email := fmt.Sprintf("scim-mfa-%s@example.com", testenv.Unique())
			id := c.do(t, "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+email+`",
				"emails":[{"primary":true,"value":"`+email+`"}],"active":true}`).want(t, http.StatusCreated).str("id")
			if roleOf(members(t, srv, org, second), email) != "active:member" {
				t.Fatalf("the provisioned person is not a member: %v", members(t, srv, org, second))
			}
			c.do(t, "DELETE", "/Users/"+id, "").want(t, http.StatusNoContent)
			if roleOf(members(t, srv, org, second), email) != "" {
				t.Fatal("a deleted person is still a member")
			}
			// An account that signed up on its own is invited; deleting it
			// cancels the invitation.
			stranger := signUp(t, srv, "scim-mfa-stranger")
			sid := c.do(t, "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+stranger.email+`",
				"emails":[{"primary":true,"value":"`+stranger.email+`"}],"active":true}`).want(t, http.StatusCreated).str("id")
			pending := func() bool {
				var invites []struct {
					Email  string `json:"email"`
					Status string `json:"status"`
				}
				expect(t, srv.Do(t, "GET", "/api/v1/organizations/"+org+"/invitations", nil, second.token), http.StatusOK).Decode(t, &invites)
				for _, inv := range invites {
					if strings.EqualFold(inv.Email, stranger.email) && inv.Status == "pending" {
						return true
					}
				}
				return false
			}
			if !pending() {
				t.Fatal("the existing account was not invited")
			}
			c.do(t, "DELETE", "/Users/"+sid, "").want(t, http.StatusNoContent)
			if pending() {
				t.Fatal("the deleted person's invitation is still pending")
			}

			// The token still ends with its creator's ownership.
			expect(t, srv.Do(t, "PATCH", "/api/v1/organizations/"+org+"/members/"+creator.id+"/role", map[string]any{"role": "member"}, second.token), http.StatusOK)
			c.do(t, "GET", "/Users?count=1", "").wantError(t, http.StatusUnauthorized, "")
		})
	}
}
