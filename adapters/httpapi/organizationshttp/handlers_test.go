package organizationshttp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/adapters/httpapi/apidocs/apidocstest"
	"github.com/secuird/authy/adapters/httpapi/organizationshttp"
	"github.com/secuird/authy/adapters/memstore/platformmem"
	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/organizationspg"
	"github.com/secuird/authy/adapters/security"
	"github.com/secuird/authy/application/organizationsapp"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/identityport/identityporttest"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/sessionsport"
	"github.com/secuird/authy/tests/testenv"
)

// authenticator is a fake sessionsport.Authenticator: the token is the
// user's name in the fixture.
type authenticator struct{ users map[string]shared.UserID }

func (a authenticator) Authenticate(_ context.Context, token string) (sessionsport.Principal, error) {
	if id, ok := a.users[token]; ok {
		return sessionsport.Principal{UserID: id, SessionID: uuid.New(), ExpiresAt: time.Now().Add(time.Hour)}, nil
	}
	return sessionsport.Principal{}, shared.Unauthenticated("auth.invalid_token", "invalid or expired token")
}

type recorder struct{}

func (recorder) Record(context.Context, ...auditport.Event) error { return nil }

// fragment validates responses against this context's OpenAPI fragment
// merged into the base document.
var fragment = sync.OnceValues(func() (*apidocstest.Validator, error) {
	return apidocstest.ForFragments(organizationshttp.OpenAPI)
})

// server is an HTTP app with the organizations routes on a real service
// over the store of a throwaway SQLite database, and an organization whose members are named by
// their token.
type server struct {
	app     *fiber.App
	db      *pgstore.DB
	dir     *identityporttest.Directory
	users   map[string]shared.UserID
	org     string
	pending []string // ids of an admin and an owner invitation
}

var roster = []struct{ name, role string }{
	{"owner2", "owner"}, {"admin", "admin"}, {"admin2", "admin"}, {"member", "member"}, {"member2", "member"},
}

func newServer(t *testing.T) *server {
	t.Helper()
	db := testenv.SQLite(t)
	dir := identityporttest.NewDirectory()
	users := map[string]shared.UserID{}
	for _, name := range []string{"owner", "owner2", "admin", "admin2", "member", "member2", "outsider", "newcomer"} {
		id := shared.UserID(uuid.New())
		testenv.StoreUser(t, db, uuid.UUID(id))
		users[name] = id
		dir.Put(identityport.UserSummary{ID: id, Email: name + "@example.com", Name: strings.ToUpper(name[:1]) + name[1:], EmailVerified: true})
	}
	s := serve(t, db, dir, users)

	res := s.do(t, "POST", "/api/v1/organizations", map[string]any{"name": "Acme"}, "owner")
	if res.status != 201 {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	s.org = res.data(t)["id"].(string)
	for _, m := range roster {
		res := s.do(t, "POST", "/api/v1/organizations/"+s.org+"/members", map[string]any{"email": m.name + "@example.com", "role": m.role}, "owner")
		if res.status != 201 {
			t.Fatalf("invite %s: %d %s", m.name, res.status, res.body)
		}
		res = s.do(t, "POST", "/api/v1/users/me/invitations/"+res.data(t)["id"].(string)+"/accept", nil, m.name)
		if res.status != 200 {
			t.Fatalf("%s accepts: %d %s", m.name, res.status, res.body)
		}
	}
	// Pending invitations: one as admin, one as owner, both by the owner.
	for _, p := range []struct{ email, role string }{{"pending@example.com", "admin"}, {"boss@example.com", "owner"}} {
		res := s.do(t, "POST", "/api/v1/organizations/"+s.org+"/members", map[string]any{"email": p.email, "role": p.role}, "owner")
		if res.status != 201 {
			t.Fatalf("invite %s: %d %s", p.email, res.status, res.body)
		}
		s.pending = append(s.pending, res.data(t)["id"].(string))
	}
	return s
}

// serve builds the real service and the routes over db.
func serve(t *testing.T, db *pgstore.DB, dir *identityporttest.Directory, users map[string]shared.UserID) *server {
	t.Helper()
	svc, err := organizationsapp.New(organizationsapp.Deps{
		UnitOfWork: db, Organizations: organizationspg.New(db), Directory: dir, Recorder: recorder{}, Clock: platformport.SystemClock,
		Tokens: security.InvitationTokens{}, Limiter: platformmem.NewRateLimiter(platformport.SystemClock),
	})
	if err != nil {
		t.Fatal(err)
	}
	s := &server{db: db, dir: dir, users: users}
	s.app = httpapi.New(httpapi.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	organizationshttp.Register(s.app.Group("/api/v1"), svc, authenticator{users: s.users})
	return s
}

// seeded is the state newServer builds, made once: each copy is a server on
// its own copy of the database, as isolated as a server built from scratch.
type seeded struct {
	base     *server
	snapshot []byte
}

func seed(t *testing.T) seeded {
	t.Helper()
	base := newServer(t)
	return seeded{base: base, snapshot: testenv.SQLiteSnapshot(t, base.db)}
}

func (sd seeded) copy(t *testing.T) *server {
	t.Helper()
	s := serve(t, testenv.SQLiteFrom(t, sd.snapshot), sd.base.dir, sd.base.users)
	s.org, s.pending = sd.base.org, sd.base.pending
	return s
}

type response struct {
	status int
	body   []byte
	env    struct {
		Code  int             `json:"code"`
		Data  json.RawMessage `json:"data"`
		Meta  json.RawMessage `json:"meta"`
		Error *struct {
			Type string `json:"type"`
			Code string `json:"code"`
		} `json:"error"`
	}
}

func (r response) data(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.env.Data, &m); err != nil {
		t.Fatalf("data of %s: %v", r.body, err)
	}
	return m
}

// do sends a request and checks the response against the OpenAPI fragment.
func (s *server) do(t *testing.T, method, path string, body any, token string) response {
	t.Helper()
	var payload []byte
	if body != nil {
		payload, _ = json.Marshal(body)
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(payload))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	httpRes, err := s.app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer httpRes.Body.Close()
	out := response{status: httpRes.StatusCode}
	out.body, _ = io.ReadAll(httpRes.Body)
	if err := json.Unmarshal(out.body, &out.env); err != nil || out.env.Code != out.status {
		t.Fatalf("%s %s: not an envelope: %s", method, path, out.body)
	}
	if out.status == http.StatusInternalServerError {
		t.Fatalf("%s %s: 500 %s", method, path, out.body)
	}
	validate(t, method, path, payload, httpRes, out.body)
	return out
}

func validate(t *testing.T, method, path string, payload []byte, res *http.Response, body []byte) {
	t.Helper()
	v, err := fragment()
	if err != nil {
		t.Fatalf("OpenAPI fragment: %v", err)
	}
	if err := v.Check(httptest.NewRequest(method, "http://localhost"+path, bytes.NewReader(payload)), res.StatusCode, res.Header, body); err != nil {
		t.Errorf("%v\n%s", err, body)
	}
}

// TestAuthorization_EveryRouteWithEveryRole walks the rules table of the
// organizations issue through HTTP: each route by owner, admin, member,
// non-member and anonymous caller, each cell on a fresh copy of the seeded
// database (seeding it through HTTP for each of the cells cost most of
// the package's run time).
func TestAuthorization_EveryRouteWithEveryRole(t *testing.T) {
	sd := seed(t)
	callers := []string{"owner", "admin", "member", "outsider", ""}
	cases := []struct {
		name, method, path string
		body               any
		want               [5]int // owner, admin, member, non-member, anonymous
	}{
		{"create organization", "POST", "/organizations", map[string]any{"name": "New Org"}, [5]int{201, 201, 201, 201, 401}},
		{"read organization", "GET", "/organizations/{org}", nil, [5]int{200, 200, 200, 404, 401}},
		{"update organization", "PATCH", "/organizations/{org}", map[string]any{"name": "Renamed"}, [5]int{200, 200, 403, 404, 401}},
		{"delete organization", "DELETE", "/organizations/{org}", nil, [5]int{200, 403, 403, 404, 401}},
		{"list members", "GET", "/organizations/{org}/members", nil, [5]int{200, 200, 200, 404, 401}},
		{"add member", "POST", "/organizations/{org}/members", map[string]any{"email": "newcomer@example.com"}, [5]int{201, 201, 403, 404, 401}},
		{"add admin", "POST", "/organizations/{org}/members", map[string]any{"email": "newcomer@example.com", "role": "admin"}, [5]int{201, 201, 403, 404, 401}},
		{"add owner", "POST", "/organizations/{org}/members", map[string]any{"email": "newcomer@example.com", "role": "owner"}, [5]int{201, 403, 403, 404, 401}},
		{"invite member", "POST", "/organizations/{org}/members", map[string]any{"email": "nobody-yet@example.com"}, [5]int{201, 201, 403, 404, 401}},
		{"invite owner", "POST", "/organizations/{org}/members", map[string]any{"email": "nobody-yet@example.com", "role": "owner"}, [5]int{201, 403, 403, 404, 401}},
		{"remove a member", "DELETE", "/organizations/{org}/members/{member2}", nil, [5]int{200, 200, 403, 404, 401}},
		{"remove an admin", "DELETE", "/organizations/{org}/members/{admin2}", nil, [5]int{200, 200, 403, 404, 401}},
		{"remove an owner", "DELETE", "/organizations/{org}/members/{owner2}", nil, [5]int{200, 403, 403, 404, 401}},
		{"leave", "DELETE", "/organizations/{org}/members/{self}", nil, [5]int{200, 200, 200, 404, 401}},
		{"promote member to admin", "PATCH", "/organizations/{org}/members/{member2}/role", map[string]any{"role": "admin"}, [5]int{200, 200, 403, 404, 401}},
		{"demote admin to member", "PATCH", "/organizations/{org}/members/{admin2}/role", map[string]any{"role": "member"}, [5]int{200, 200, 403, 404, 401}},
		{"grant owner", "PATCH", "/organizations/{org}/members/{member2}/role", map[string]any{"role": "owner"}, [5]int{200, 403, 403, 404, 401}},
		{"demote an owner", "PATCH", "/organizations/{org}/members/{owner2}/role", map[string]any{"role": "admin"}, [5]int{200, 403, 403, 404, 401}},
		{"list my organizations", "GET", "/users/me/organizations", nil, [5]int{200, 200, 200, 200, 401}},
		{"list invitations", "GET", "/organizations/{org}/invitations", nil, [5]int{200, 200, 403, 404, 401}},
		{"cancel an admin invitation", "DELETE", "/organizations/{org}/invitations/{pending}", nil, [5]int{200, 200, 403, 404, 401}},
		{"cancel an owner invitation", "DELETE", "/organizations/{org}/invitations/{ownerInvitation}", nil, [5]int{200, 403, 403, 404, 401}},
		{"list my invitations", "GET", "/users/me/invitations", nil, [5]int{200, 200, 200, 200, 401}},
		{"accept someone else's invitation", "POST", "/users/me/invitations/{pending}/accept", nil, [5]int{404, 404, 404, 404, 401}},
		{"decline someone else's invitation", "POST", "/users/me/invitations/{pending}/decline", nil, [5]int{404, 404, 404, 404, 401}},
		{"accept by an unknown token", "POST", "/invitations/not-a-real-token/accept", nil, [5]int{404, 404, 404, 404, 401}},
	}
	for _, c := range cases {
		for i, caller := range callers {
			who := caller
			if who == "" {
				who = "anonymous"
			}
			t.Run(c.name+" as "+who, func(t *testing.T) {
				s := sd.copy(t)
				self := s.users[caller]
				if caller == "" {
					self = s.users["member"]
				}
				path := strings.NewReplacer(
					"{org}", s.org, "{self}", self.String(), "{member2}", s.users["member2"].String(),
					"{admin2}", s.users["admin2"].String(), "{owner2}", s.users["owner2"].String(),
					"{pending}", s.pending[0], "{ownerInvitation}", s.pending[1],
				).Replace("/api/v1" + c.path)
				res := s.do(t, c.method, path, c.body, caller)
				if res.status != c.want[i] {
					t.Fatalf("%s %s as %s: %d, want %d: %s", c.method, c.path, who, res.status, c.want[i], res.body)
				}
				wantCode := "organizations.not_found"
				if strings.Contains(c.path, "/accept") || strings.Contains(c.path, "/decline") {
					wantCode = "organizations.invitation_not_found"
				}
				if res.status == 404 && (res.env.Error == nil || res.env.Error.Code != wantCode) {
					t.Fatalf("404 must be the plain %s: %s", wantCode, res.body)
				}
			})
		}
	}
}

func TestNonMember_CannotTellAnOrganizationFromAnUnknownOrMalformedID(t *testing.T) {
	s := newServer(t)
	member := s.users["member"].String()
	for _, id := range []string{s.org, uuid.NewString(), "not-a-uuid", "00000000-0000-0000-0000-00000000000g"} {
		for _, r := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/organizations/" + id, nil},
			{"PATCH", "/organizations/" + id, map[string]any{"name": "x"}},
			{"DELETE", "/organizations/" + id, nil},
			{"GET", "/organizations/" + id + "/members", nil},
			{"POST", "/organizations/" + id + "/members", map[string]any{"email": "x@example.com"}},
			{"DELETE", "/organizations/" + id + "/members/" + member, nil},
			{"PATCH", "/organizations/" + id + "/members/" + member + "/role", map[string]any{"role": "admin"}},
			{"GET", "/organizations/" + id + "/invitations", nil},
			{"DELETE", "/organizations/" + id + "/invitations/" + s.pending[0], nil},
		} {
			res := s.do(t, r.method, "/api/v1"+r.path, r.body, "outsider")
			if res.status != 404 || res.env.Error == nil || res.env.Error.Code != "organizations.not_found" {
				t.Errorf("%s %s: %d %s", r.method, r.path, res.status, res.body)
			}
		}
	}
	res := s.do(t, "DELETE", "/api/v1/organizations/"+s.org+"/members/not-a-uuid", nil, "owner")
	if res.status != 404 {
		t.Fatalf("malformed user id: %d", res.status)
	}
}

func TestLastOwner_CannotLeaveOrBeDemoted(t *testing.T) {
	s := newServer(t)
	owner2 := s.users["owner2"].String()
	if res := s.do(t, "DELETE", "/api/v1/organizations/"+s.org+"/members/"+owner2, nil, "owner"); res.status != 200 {
		t.Fatalf("remove second owner: %d", res.status)
	}
	owner := s.users["owner"].String()
	res := s.do(t, "DELETE", "/api/v1/organizations/"+s.org+"/members/"+owner, nil, "owner")
	if res.status != 409 || res.env.Error.Code != "organizations.last_owner" {
		t.Fatalf("last owner leaves: %d %s", res.status, res.body)
	}
	res = s.do(t, "PATCH", "/api/v1/organizations/"+s.org+"/members/"+owner+"/role", map[string]any{"role": "member"}, "owner")
	if res.status != 409 {
		t.Fatalf("last owner demoted: %d %s", res.status, res.body)
	}
}

func TestCreate_SlugRulesAndValidation(t *testing.T) {
	s := newServer(t)
	res := s.do(t, "POST", "/api/v1/organizations", map[string]any{"name": "Acme"}, "owner")
	if slug := res.data(t)["slug"].(string); res.status != 201 || !strings.HasPrefix(slug, "acme-") {
		t.Fatalf("derived slug collision: %d %s", res.status, res.body)
	}
	if res := s.do(t, "POST", "/api/v1/organizations", map[string]any{"name": "Other", "slug": "ACME"}, "owner"); res.status != 409 {
		t.Fatalf("taken explicit slug: %d %s", res.status, res.body)
	}
	cases := []struct {
		body any
		want int
	}{
		{map[string]any{}, 400},
		{map[string]any{"name": ""}, 400},
		{map[string]any{"name": "x", "slug": "no spaces"}, 400},
		{map[string]any{"name": "x", "admin": true}, 400},
		{map[string]any{"name": 12}, 400},
	}
	for _, c := range cases {
		if res := s.do(t, "POST", "/api/v1/organizations", c.body, "owner"); res.status != c.want {
			t.Errorf("%v: %d %s", c.body, res.status, res.body)
		}
	}
}

func TestAddMember_AnswersAnInvitationAndListsItForManagersOnly(t *testing.T) {
	s := newServer(t)
	base := "/api/v1/organizations/" + s.org
	known := s.do(t, "POST", base+"/members", map[string]any{"email": "NEWCOMER@example.com", "role": "admin"}, "admin")
	unknown := s.do(t, "POST", base+"/members", map[string]any{"email": "Later@Example.com", "role": "admin"}, "admin")
	for _, res := range []response{known, unknown} {
		d := res.data(t)
		if res.status != 201 || d["status"] != "pending" || d["invited_by"] != s.users["admin"].String() || d["organization_id"] != s.org {
			t.Fatalf("invite: %d %s", res.status, res.body)
		}
		if _, ok := d["user_id"]; ok {
			t.Fatalf("the answer names a user: %s", res.body)
		}
	}
	if known.env.Code != unknown.env.Code || len(known.data(t)) != len(unknown.data(t)) {
		t.Fatalf("answers differ:\n%s\n%s", known.body, unknown.body)
	}
	if res := s.do(t, "POST", base+"/members", map[string]any{"email": "later@example.com"}, "owner"); res.status != 409 || res.env.Error.Code != "organizations.already_invited" {
		t.Fatalf("duplicate invitation: %d %s", res.status, res.body)
	}
	if res := s.do(t, "POST", base+"/members", map[string]any{"email": "member@example.com"}, "owner"); res.status != 409 || res.env.Error.Code != "organizations.already_member" {
		t.Fatalf("existing member: %d %s", res.status, res.body)
	}
	var statuses []string
	cursor := ""
	for i := 0; i < 10; i++ {
		path := base + "/members?limit=4"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		res := s.do(t, "GET", path, nil, "member")
		var items []map[string]any
		var meta struct {
			Limit      int     `json:"limit"`
			NextCursor *string `json:"next_cursor"`
		}
		_ = json.Unmarshal(res.env.Data, &items)
		_ = json.Unmarshal(res.env.Meta, &meta)
		if meta.Limit != 4 || len(items) > 4 {
			t.Fatalf("page: %s", res.body)
		}
		for _, it := range items {
			statuses = append(statuses, it["status"].(string)+":"+it["email"].(string))
		}
		if meta.NextCursor == nil {
			break
		}
		cursor = *meta.NextCursor
	}
	if len(statuses) != 6 || statuses[0] != "active:owner@example.com" {
		t.Fatalf("listed %v", statuses)
	}
	res := s.do(t, "GET", base+"/invitations?limit=2", nil, "admin")
	var invs []map[string]any
	_ = json.Unmarshal(res.env.Data, &invs)
	if res.status != 200 || len(invs) != 2 || !strings.Contains(string(res.env.Meta), "next_cursor\":\"") {
		t.Fatalf("invitations: %s", res.body)
	}
	if res := s.do(t, "GET", base+"/members?cursor=bogus", nil, "member"); res.status != 400 {
		t.Fatalf("bogus cursor: %d", res.status)
	}
	res = s.do(t, "GET", "/api/v1/users/me/organizations?limit=1000", nil, "admin")
	var mine []map[string]any
	_ = json.Unmarshal(res.env.Data, &mine)
	if len(mine) != 1 || mine[0]["role"] != "admin" || !strings.Contains(string(res.env.Meta), `"limit":100`) {
		t.Fatalf("my organizations: %s", res.body)
	}
}

func TestInvitee_ListsAcceptsAndDeclinesTheirInvitations(t *testing.T) {
	s := newServer(t)
	base := "/api/v1/organizations/" + s.org
	res := s.do(t, "POST", base+"/members", map[string]any{"email": "newcomer@example.com"}, "owner")
	first := res.data(t)["id"].(string)
	res = s.do(t, "GET", "/api/v1/users/me/invitations", nil, "newcomer")
	var mine []map[string]any
	_ = json.Unmarshal(res.env.Data, &mine)
	if res.status != 200 || len(mine) != 1 || mine[0]["id"] != first || mine[0]["organization_name"] != "Acme" || mine[0]["organization_id"] != s.org {
		t.Fatalf("my invitations: %s", res.body)
	}
	for _, path := range []string{"/api/v1/users/me/invitations/not-a-uuid/accept", "/api/v1/users/me/invitations/" + uuid.NewString() + "/decline"} {
		if res := s.do(t, "POST", path, nil, "newcomer"); res.status != 404 || res.env.Error.Code != "organizations.invitation_not_found" {
			t.Fatalf("%s: %d %s", path, res.status, res.body)
		}
	}
	res = s.do(t, "POST", "/api/v1/users/me/invitations/"+first+"/decline", nil, "newcomer")
	if res.status != 200 {
		t.Fatalf("decline: %d %s", res.status, res.body)
	}
	res = s.do(t, "POST", "/api/v1/users/me/invitations/"+first+"/accept", nil, "newcomer")
	if res.status != 409 || res.env.Error.Code != "organizations.invitation_declined" {
		t.Fatalf("accept after declining: %d %s", res.status, res.body)
	}
	res = s.do(t, "POST", base+"/members", map[string]any{"email": "newcomer@example.com", "role": "admin"}, "owner")
	second := res.data(t)["id"].(string)
	res = s.do(t, "POST", "/api/v1/users/me/invitations/"+second+"/accept", nil, "newcomer")
	if d := res.data(t); res.status != 200 || d["id"] != s.org || d["role"] != "admin" {
		t.Fatalf("accept: %d %s", res.status, res.body)
	}
	res = s.do(t, "POST", "/api/v1/users/me/invitations/"+second+"/accept", nil, "newcomer")
	if res.status != 409 || res.env.Error.Code != "organizations.invitation_already_accepted" {
		t.Fatalf("accept twice: %d %s", res.status, res.body)
	}
	res = s.do(t, "DELETE", base+"/invitations/"+second, nil, "owner")
	if res.status != 409 || res.env.Error.Code != "organizations.invitation_already_accepted" {
		t.Fatalf("cancel an accepted invitation: %d %s", res.status, res.body)
	}
	if res := s.do(t, "DELETE", base+"/invitations/not-a-uuid", nil, "owner"); res.status != 404 {
		t.Fatalf("malformed invitation id: %d %s", res.status, res.body)
	}
}
