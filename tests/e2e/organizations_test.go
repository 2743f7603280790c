//go:build integration

package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/secuird/authy/bootstrap"
	"github.com/secuird/authy/tests/apitest"
	"github.com/secuird/authy/tests/testenv"
)

// orgAccount is a registered, signed-in user.
type orgAccount struct {
	id, email, name, token string
}

const orgPassword = "correct horse battery staple 42"

// startOrgServer starts a server whose sign-up, login and invitation
// limits do not get in the way: these tests sign many users up and invite
// many from one address.
func startOrgServer(t *testing.T, backend apitest.Backend, opts ...apitest.Option) *apitest.Server {
	t.Helper()
	return apitest.Start(t, backend, append([]apitest.Option{apitest.WithConfig(func(c *bootstrap.Config) {
		c.LoginRateLimitPerIP = 1000
		c.RegisterRateLimitPerIP = 1000
		c.InvitationRateLimitPerUser = 100000
		c.InvitationRateLimitPerIP = 100000
	})}, opts...)...)
}

// invitationView is an invitation as AddMember and the organization's list
// answer it.
type invitationView struct {
	ID             string  `json:"id"`
	OrganizationID string  `json:"organization_id"`
	Email          string  `json:"email"`
	Role           string  `json:"role"`
	Status         string  `json:"status"`
	InvitedBy      *string `json:"invited_by"`
	InvitedAt      string  `json:"invited_at"`
	ExpiresAt      string  `json:"expires_at"`
}

// invite adds a member by email and returns the invitation.
func invite(t *testing.T, srv *apitest.Server, org string, inviter orgAccount, email, role string) invitationView {
	t.Helper()
	body := map[string]any{"email": email}
	if role != "" {
		body["role"] = role
	}
	var v invitationView
	expect(t, srv.Do(t, "POST", "/api/v1/organizations/"+org+"/members", body, inviter.token), http.StatusCreated).Decode(t, &v)
	return v
}

// join invites a signed-in user and has them accept.
func join(t *testing.T, srv *apitest.Server, org string, inviter, who orgAccount, role string) {
	t.Helper()
	v := invite(t, srv, org, inviter, who.email, role)
	expect(t, srv.Do(t, "POST", "/api/v1/users/me/invitations/"+v.ID+"/accept", nil, who.token), http.StatusOK)
}

// signUp registers a user through identity's API and signs them in.
func signUp(t *testing.T, srv *apitest.Server, label string) orgAccount {
	t.Helper()
	a := orgAccount{email: fmt.Sprintf("%s-%s@example.com", label, testenv.Unique()), name: "User " + label}
	res := srv.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": a.email, "password": orgPassword, "name": a.name}, "")
	if res.Status != http.StatusCreated {
		t.Fatalf("register %s: %d %s", a.email, res.Status, res.Body)
	}
	verifyEmailOf(t, srv, a.email) // invitations are accepted by verified addresses only
	return login(t, srv, a)
}

func login(t *testing.T, srv *apitest.Server, a orgAccount) orgAccount {
	t.Helper()
	res := srv.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": a.email, "password": orgPassword}, "")
	if res.Status != http.StatusOK {
		t.Fatalf("login %s: %d %s", a.email, res.Status, res.Body)
	}
	var out struct {
		Token string `json:"token"`
		User  struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	res.Decode(t, &out)
	a.token, a.id = out.Token, out.User.ID
	return a
}

type orgView struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
	Role string `json:"role"`
}

type memberView struct {
	Status string `json:"status"`
	UserID string `json:"user_id"`
	Email  string `json:"email"`
	Name   string `json:"name"`
	Role   string `json:"role"`
}

func expect(t *testing.T, res *apitest.Response, status int) *apitest.Response {
	t.Helper()
	if res.Status != status {
		t.Fatalf("status %d, want %d: %s", res.Status, status, res.Body)
	}
	return res
}

func createOrg(t *testing.T, srv *apitest.Server, owner orgAccount, body map[string]any) orgView {
	t.Helper()
	var v orgView
	expect(t, srv.Do(t, "POST", "/api/v1/organizations", body, owner.token), http.StatusCreated).Decode(t, &v)
	return v
}

func members(t *testing.T, srv *apitest.Server, org string, caller orgAccount) []memberView {
	t.Helper()
	var all []memberView
	cursor := ""
	for page := 0; page < 50; page++ {
		path := "/api/v1/organizations/" + org + "/members?limit=2"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		res := expect(t, srv.Do(t, "GET", path, nil, caller.token), http.StatusOK)
		var items []memberView
		var meta struct {
			NextCursor *string `json:"next_cursor"`
		}
		res.Decode(t, &items)
		res.DecodeMeta(t, &meta)
		all = append(all, items...)
		if meta.NextCursor == nil {
			return all
		}
		cursor = *meta.NextCursor
	}
	t.Fatal("member pagination does not end")
	return nil
}

func roleOf(list []memberView, email string) string {
	for _, m := range list {
		if strings.EqualFold(m.Email, email) {
			return m.Status + ":" + m.Role
		}
	}
	return ""
}

func TestOrganizations_CreateReadUpdateDelete(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := startOrgServer(t, backend)
			owner, member := signUp(t, srv, "owner"), signUp(t, srv, "member")
			slug := "acme-" + testenv.Unique()
			org := createOrg(t, srv, owner, map[string]any{"name": "Acme Corp", "slug": strings.ToUpper(slug)})
			if org.Slug != slug || org.Role != "owner" || org.Name != "Acme Corp" {
				t.Fatalf("created %+v", org)
			}
			expect(t, srv.Do(t, "POST", "/api/v1/organizations", map[string]any{"name": "Copycat", "slug": slug}, member.token), http.StatusConflict)
			derived := createOrg(t, srv, member, map[string]any{"name": slug})
			if !strings.HasPrefix(derived.Slug, slug+"-") {
				t.Fatalf("a taken derived slug must get a suffix: %q", derived.Slug)
			}

			var got orgView
			expect(t, srv.Do(t, "GET", "/api/v1/organizations/"+org.ID, nil, owner.token), http.StatusOK).Decode(t, &got)
			if got != org {
				t.Fatalf("read %+v, want %+v", got, org)
			}
			expect(t, srv.Do(t, "GET", "/api/v1/organizations/"+org.ID, nil, member.token), http.StatusNotFound)

			var updated orgView
			expect(t, srv.Do(t, "PATCH", "/api/v1/organizations/"+org.ID, map[string]any{"name": "Acme Inc"}, owner.token), http.StatusOK).Decode(t, &updated)
			if updated.Name != "Acme Inc" || updated.Slug != slug {
				t.Fatalf("updated %+v", updated)
			}
			expect(t, srv.Do(t, "PATCH", "/api/v1/organizations/"+org.ID, map[string]any{"slug": derived.Slug}, owner.token), http.StatusConflict)

			var mine []orgView
			expect(t, srv.Do(t, "GET", "/api/v1/users/me/organizations", nil, owner.token), http.StatusOK).Decode(t, &mine)
			if len(mine) != 1 || mine[0].ID != org.ID || mine[0].Role != "owner" {
				t.Fatalf("my organizations %+v", mine)
			}

			expect(t, srv.Do(t, "DELETE", "/api/v1/organizations/"+org.ID, nil, owner.token), http.StatusOK)
			expect(t, srv.Do(t, "GET", "/api/v1/organizations/"+org.ID, nil, owner.token), http.StatusNotFound)
			expect(t, srv.Do(t, "GET", "/api/v1/organizations/"+org.ID+"/members", nil, owner.token), http.StatusNotFound)
			expect(t, srv.Do(t, "GET", "/api/v1/users/me/organizations", nil, owner.token), http.StatusOK).Decode(t, &mine)
			if len(mine) != 0 {
				t.Fatalf("deleted organization still listed: %+v", mine)
			}
			// The slug is free again.
			createOrg(t, srv, owner, map[string]any{"name": "Acme again", "slug": slug})
			expect(t, srv.Do(t, "GET", "/api/v1/organizations/not-a-uuid", nil, owner.token), http.StatusNotFound)
		})
	}
}

func TestOrganizations_MembersAddListRemoveAndChangeRole(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := startOrgServer(t, backend)
			owner, admin, member := signUp(t, srv, "owner"), signUp(t, srv, "admin"), signUp(t, srv, "member")
			org := createOrg(t, srv, owner, map[string]any{"name": "Team"})
			base := "/api/v1/organizations/" + org.ID + "/members"

			inv := invite(t, srv, org.ID, owner, strings.ToUpper(admin.email), "admin")
			if inv.Status != "pending" || inv.Email != admin.email || inv.Role != "admin" || inv.InvitedBy == nil || *inv.InvitedBy != owner.id {
				t.Fatalf("invited %+v", inv)
			}
			if got := roleOf(members(t, srv, org.ID, owner), admin.email); got != "" {
				t.Fatalf("invited user listed as %q before accepting", got)
			}
			var joined orgView
			expect(t, srv.Do(t, "POST", "/api/v1/users/me/invitations/"+inv.ID+"/accept", nil, admin.token), http.StatusOK).Decode(t, &joined)
			if joined.ID != org.ID || joined.Role != "admin" {
				t.Fatalf("joined %+v", joined)
			}
			join(t, srv, org.ID, admin, member, "")
			expect(t, srv.Do(t, "POST", base, map[string]any{"email": member.email}, owner.token), http.StatusConflict)
			expect(t, srv.Do(t, "POST", base, map[string]any{"email": "x@example.com"}, member.token), http.StatusForbidden)

			list := members(t, srv, org.ID, member)
			if len(list) != 3 || roleOf(list, owner.email) != "active:owner" || roleOf(list, admin.email) != "active:admin" || roleOf(list, member.email) != "active:member" {
				t.Fatalf("members %+v", list)
			}

			var changed memberView
			expect(t, srv.Do(t, "PATCH", base+"/"+member.id+"/role", map[string]any{"role": "admin"}, admin.token), http.StatusOK).Decode(t, &changed)
			if changed.Role != "admin" || changed.Email != member.email {
				t.Fatalf("changed %+v", changed)
			}
			expect(t, srv.Do(t, "PATCH", base+"/"+member.id+"/role", map[string]any{"role": "owner"}, admin.token), http.StatusForbidden)
			expect(t, srv.Do(t, "PATCH", base+"/"+member.id+"/role", map[string]any{"role": "owner"}, owner.token), http.StatusOK)
			expect(t, srv.Do(t, "DELETE", base+"/"+member.id, nil, admin.token), http.StatusForbidden)
			expect(t, srv.Do(t, "DELETE", base+"/"+admin.id, nil, member.token), http.StatusOK)
			expect(t, srv.Do(t, "GET", "/api/v1/organizations/"+org.ID, nil, admin.token), http.StatusNotFound)
			// The new owner leaves; the founder is the last owner and stays.
			expect(t, srv.Do(t, "DELETE", base+"/"+member.id, nil, member.token), http.StatusOK)
			res := expect(t, srv.Do(t, "DELETE", base+"/"+owner.id, nil, owner.token), http.StatusConflict)
			if res.Env.Error == nil || res.Env.Error.Code != "organizations.last_owner" {
				t.Fatalf("last owner: %s", res.Body)
			}
			expect(t, srv.Do(t, "PATCH", base+"/"+owner.id+"/role", map[string]any{"role": "member"}, owner.token), http.StatusConflict)
		})
	}
}

func TestOrganizations_RegisteringAnInvitedAddressJoinsNothingUntilTheInvitationIsAccepted(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := startOrgServer(t, backend)
			owner := signUp(t, srv, "owner")
			org := createOrg(t, srv, owner, map[string]any{"name": "Inviting"})
			base := "/api/v1/organizations/" + org.ID + "/members"
			email := "future-" + testenv.Unique() + "@example.com"

			pending := invite(t, srv, org.ID, owner, strings.ToUpper(email), "owner")
			if pending.Status != "pending" || pending.Email != email || pending.Role != "owner" {
				t.Fatalf("pending %+v", pending)
			}
			expect(t, srv.Do(t, "POST", base, map[string]any{"email": email}, owner.token), http.StatusConflict)

			expect(t, srv.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": email, "password": orgPassword, "name": "Future"}, ""), http.StatusCreated)
			verifyEmailOf(t, srv, email)
			newcomer := login(t, srv, orgAccount{email: email})
			if got := roleOf(members(t, srv, org.ID, owner), email); got != "" {
				t.Fatalf("registration alone made the newcomer %q", got)
			}
			var mine []orgView
			expect(t, srv.Do(t, "GET", "/api/v1/users/me/organizations", nil, newcomer.token), http.StatusOK).Decode(t, &mine)
			if len(mine) != 0 {
				t.Fatalf("newcomer's organizations before accepting %+v", mine)
			}
			var invs []struct {
				ID               string `json:"id"`
				OrganizationID   string `json:"organization_id"`
				OrganizationName string `json:"organization_name"`
				Role             string `json:"role"`
			}
			expect(t, srv.Do(t, "GET", "/api/v1/users/me/invitations", nil, newcomer.token), http.StatusOK).Decode(t, &invs)
			if len(invs) != 1 || invs[0].ID != pending.ID || invs[0].OrganizationID != org.ID || invs[0].OrganizationName != "Inviting" || invs[0].Role != "owner" {
				t.Fatalf("newcomer's invitations %+v", invs)
			}
			expect(t, srv.Do(t, "POST", "/api/v1/users/me/invitations/"+pending.ID+"/accept", nil, newcomer.token), http.StatusOK)
			if got := roleOf(members(t, srv, org.ID, owner), email); got != "active:owner" {
				t.Fatalf("after accepting listed as %q", got)
			}
		})
	}
}

func TestOrganizations_SoleOwnerCannotDeleteTheAccountUntilOwnershipIsHandedOver(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := startOrgServer(t, backend)
			owner, colleague := signUp(t, srv, "owner"), signUp(t, srv, "colleague")
			team := createOrg(t, srv, owner, map[string]any{"name": "Team"})
			solo := createOrg(t, srv, owner, map[string]any{"name": "Solo"})
			base := "/api/v1/organizations/" + team.ID + "/members"
			join(t, srv, team.ID, owner, colleague, "")

			res := expect(t, srv.Do(t, "DELETE", "/api/v1/users/me", map[string]any{"current_password": orgPassword}, owner.token), http.StatusConflict)
			if res.Env.Error == nil || res.Env.Error.Code != "organizations.sole_owner" {
				t.Fatalf("sole owner: %s", res.Body)
			}
			expect(t, srv.Do(t, "GET", "/api/v1/organizations/"+solo.ID, nil, owner.token), http.StatusOK)

			expect(t, srv.Do(t, "PATCH", base+"/"+colleague.id+"/role", map[string]any{"role": "owner"}, owner.token), http.StatusOK)
			expect(t, srv.Do(t, "DELETE", "/api/v1/users/me", map[string]any{"current_password": orgPassword}, owner.token), http.StatusOK)

			list := members(t, srv, team.ID, colleague)
			if len(list) != 1 || roleOf(list, colleague.email) != "active:owner" {
				t.Fatalf("members after the owner left %+v", list)
			}
			// The organization where they were alone went with them.
			var mine []orgView
			expect(t, srv.Do(t, "GET", "/api/v1/users/me/organizations", nil, colleague.token), http.StatusOK).Decode(t, &mine)
			if len(mine) != 1 || mine[0].ID != team.ID {
				t.Fatalf("colleague's organizations %+v", mine)
			}
			expect(t, srv.Do(t, "POST", "/api/v1/organizations/"+solo.ID+"/members", map[string]any{"email": colleague.email}, colleague.token), http.StatusNotFound)
		})
	}
}

func TestOrganizations_TwoOwnersDemotingEachOtherAtOnceLeaveAnOwner(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := startOrgServer(t, backend)
			a, b := signUp(t, srv, "a"), signUp(t, srv, "b")
			for round := 0; round < 5; round++ {
				org := createOrg(t, srv, a, map[string]any{"name": fmt.Sprintf("Race %d", round)})
				base := "/api/v1/organizations/" + org.ID + "/members"
				join(t, srv, org.ID, a, b, "owner")

				pairs := [][2]orgAccount{{a, b}, {b, a}}
				statuses := make([]int, 2)
				start := make(chan struct{})
				var wg sync.WaitGroup
				for i, p := range pairs {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						statuses[i] = srv.Do(t, "PATCH", base+"/"+p[1].id+"/role", map[string]any{"role": "admin"}, p[0].token).Status
					}()
				}
				close(start)
				wg.Wait()
				ok := 0
				for _, s := range statuses {
					switch s {
					case http.StatusOK:
						ok++
					case http.StatusForbidden, http.StatusConflict:
					default:
						t.Fatalf("round %d: unexpected statuses %v", round, statuses)
					}
				}
				owners := 0
				for _, m := range members(t, srv, org.ID, a) {
					if m.Role == "owner" {
						owners++
					}
				}
				if ok != 1 || owners != 1 {
					t.Fatalf("round %d: statuses %v left %d owners", round, statuses, owners)
				}
			}
		})
	}
}

// TestOrganizations_AuthorizationMatrix walks every route of the context
// with every role through the whole server, each cell on a fresh
// organization.
func TestOrganizations_AuthorizationMatrix(t *testing.T) {
	type cell struct {
		name, method, path string
		body               map[string]any
		want               [5]int // owner, admin, member, non-member, anonymous
	}
	cells := []cell{
		{"create organization", "POST", "/organizations", map[string]any{"name": "New"}, [5]int{201, 201, 201, 201, 401}},
		{"read organization", "GET", "/organizations/{org}", nil, [5]int{200, 200, 200, 404, 401}},
		{"update organization", "PATCH", "/organizations/{org}", map[string]any{"name": "Renamed"}, [5]int{200, 200, 403, 404, 401}},
		{"delete organization", "DELETE", "/organizations/{org}", nil, [5]int{200, 403, 403, 404, 401}},
		{"list members", "GET", "/organizations/{org}/members", nil, [5]int{200, 200, 200, 404, 401}},
		{"add member", "POST", "/organizations/{org}/members", map[string]any{"email": "{newcomer}"}, [5]int{201, 201, 403, 404, 401}},
		{"add admin", "POST", "/organizations/{org}/members", map[string]any{"email": "{newcomer}", "role": "admin"}, [5]int{201, 201, 403, 404, 401}},
		{"add owner", "POST", "/organizations/{org}/members", map[string]any{"email": "{newcomer}", "role": "owner"}, [5]int{201, 403, 403, 404, 401}},
		{"invite by email", "POST", "/organizations/{org}/members", map[string]any{"email": "{stranger}"}, [5]int{201, 201, 403, 404, 401}},
		{"remove a member", "DELETE", "/organizations/{org}/members/{member2}", nil, [5]int{200, 200, 403, 404, 401}},
		{"remove an admin", "DELETE", "/organizations/{org}/members/{admin2}", nil, [5]int{200, 200, 403, 404, 401}},
		{"remove an owner", "DELETE", "/organizations/{org}/members/{owner2}", nil, [5]int{200, 403, 403, 404, 401}},
		{"leave", "DELETE", "/organizations/{org}/members/{self}", nil, [5]int{200, 200, 200, 404, 401}},
		{"member to admin", "PATCH", "/organizations/{org}/members/{member2}/role", map[string]any{"role": "admin"}, [5]int{200, 200, 403, 404, 401}},
		{"admin to member", "PATCH", "/organizations/{org}/members/{admin2}/role", map[string]any{"role": "member"}, [5]int{200, 200, 403, 404, 401}},
		{"grant owner", "PATCH", "/organizations/{org}/members/{member2}/role", map[string]any{"role": "owner"}, [5]int{200, 403, 403, 404, 401}},
		{"demote an owner", "PATCH", "/organizations/{org}/members/{owner2}/role", map[string]any{"role": "admin"}, [5]int{200, 403, 403, 404, 401}},
		{"list my organizations", "GET", "/users/me/organizations", nil, [5]int{200, 200, 200, 200, 401}},
		{"list invitations", "GET", "/organizations/{org}/invitations", nil, [5]int{200, 200, 403, 404, 401}},
		{"cancel an invitation", "DELETE", "/organizations/{org}/invitations/{pending}", nil, [5]int{200, 200, 403, 404, 401}},
		{"cancel an owner invitation", "DELETE", "/organizations/{org}/invitations/{ownerInvitation}", nil, [5]int{200, 403, 403, 404, 401}},
		{"list my invitations", "GET", "/users/me/invitations", nil, [5]int{200, 200, 200, 200, 401}},
		{"accept another's invitation", "POST", "/users/me/invitations/{pending}/accept", nil, [5]int{404, 404, 404, 404, 401}},
		{"decline another's invitation", "POST", "/users/me/invitations/{pending}/decline", nil, [5]int{404, 404, 404, 404, 401}},
	}
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := startOrgServer(t, backend)
			users := map[string]orgAccount{}
			for _, name := range []string{"owner", "owner2", "admin", "admin2", "member", "member2", "outsider", "newcomer"} {
				users[name] = signUp(t, srv, name)
			}
			callers := []string{"owner", "admin", "member", "outsider", ""}
			for _, c := range cells {
				for i, caller := range callers {
					who := caller
					if who == "" {
						who = "anonymous"
					}
					t.Run(c.name+" as "+who, func(t *testing.T) {
						org := createOrg(t, srv, users["owner"], map[string]any{"name": "Matrix"})
						for _, m := range []struct{ name, role string }{
							{"owner2", "owner"}, {"admin", "admin"}, {"admin2", "admin"}, {"member", "member"}, {"member2", "member"},
						} {
							join(t, srv, org.ID, users["owner"], users[m.name], m.role)
						}
						pending := invite(t, srv, org.ID, users["owner"], "pending-"+testenv.Unique()+"@example.com", "admin")
						ownerInv := invite(t, srv, org.ID, users["owner"], "boss-"+testenv.Unique()+"@example.com", "owner")
						self := users[caller].id
						if caller == "" {
							self = users["member"].id
						}
						path := strings.NewReplacer("{org}", org.ID, "{self}", self, "{member2}", users["member2"].id,
							"{admin2}", users["admin2"].id, "{owner2}", users["owner2"].id,
							"{pending}", pending.ID, "{ownerInvitation}", ownerInv.ID).Replace("/api/v1" + c.path)
						var body map[string]any
						if c.body != nil {
							body = map[string]any{}
							for k, v := range c.body {
								switch v {
								case "{newcomer}":
									v = users["newcomer"].email
								case "{stranger}":
									v = "stranger-" + testenv.Unique() + "@example.com"
								}
								body[k] = v
							}
						}
						res := srv.Do(t, c.method, path, body, users[caller].token)
						if res.Status != c.want[i] {
							t.Fatalf("%s %s as %s: %d, want %d: %s", c.method, c.path, who, res.Status, c.want[i], res.Body)
						}
					})
				}
			}
		})
	}
}
