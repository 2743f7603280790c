package organizationshttp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/adapters/httpapi/organizationshttp"
	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/organizationsport"
)

// fakeService is an organizationsport.Service that records the invitation
// calls it gets and answers what it is told. The methods a test does not
// set panic through the nil embedded interface.
type fakeService struct {
	organizationsport.Service
	mu    sync.Mutex
	calls []string
	err   error
	view  organizationsport.InvitationView
	org   organizationsport.OrganizationView
}

func (f *fakeService) called(format string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, format)
}

func (f *fakeService) AddMember(_ context.Context, cmd organizationsport.AddMemberCommand) (organizationsport.InvitationView, error) {
	f.called("add " + cmd.Actor.String() + " " + cmd.Organization.String() + " " + cmd.Email + " " + cmd.Role)
	return f.view, f.err
}

func (f *fakeService) ListMyInvitations(_ context.Context, actor shared.UserID, p organizationsport.Page) (organizationsport.InvitationPage, error) {
	f.called("mine " + actor.String() + " " + p.Cursor)
	return organizationsport.InvitationPage{Items: []organizationsport.InvitationView{f.view}, NextCursor: "next"}, f.err
}

func (f *fakeService) AcceptInvitation(_ context.Context, actor shared.UserID, id uuid.UUID) (organizationsport.OrganizationView, error) {
	f.called("accept " + actor.String() + " " + id.String())
	return f.org, f.err
}

func (f *fakeService) DeclineInvitation(_ context.Context, actor shared.UserID, id uuid.UUID) error {
	f.called("decline " + actor.String() + " " + id.String())
	return f.err
}

func (f *fakeService) AcceptInvitationByToken(_ context.Context, actor shared.UserID, token string) (organizationsport.OrganizationView, error) {
	f.called("token " + actor.String() + " " + token)
	return f.org, f.err
}

func (f *fakeService) CancelInvitation(_ context.Context, actor shared.UserID, org shared.OrganizationID, id uuid.UUID) error {
	f.called("cancel " + actor.String() + " " + org.String() + " " + id.String())
	return f.err
}

// fakeServer serves the routes over fake and logs to log.
func fakeServer(t *testing.T, fake *fakeService, log io.Writer) (*server, shared.UserID) {
	t.Helper()
	me := shared.UserID(uuid.New())
	s := &server{users: map[string]shared.UserID{"me": me}}
	s.app = httpapi.New(httpapi.Options{Logger: slog.New(slog.NewJSONHandler(log, nil))})
	organizationshttp.Register(s.app.Group("/api/v1"), fake, authenticator{users: s.users})
	return s, me
}

func fakeViews() (organizationsport.InvitationView, organizationsport.OrganizationView) {
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	org := shared.OrganizationID(uuid.New())
	return organizationsport.InvitationView{
			ID: uuid.New(), OrganizationID: org, OrganizationName: "Acme", Email: "jane@example.com", Role: "admin",
			Status: "pending", InvitedBy: shared.UserID(uuid.New()), InvitedAt: at, ExpiresAt: at.Add(time.Hour),
		}, organizationsport.OrganizationView{
			ID: org, Name: "Acme", Slug: "acme", Role: "admin", JoinedAt: at, CreatedAt: at, UpdatedAt: at,
		}
}

func TestInvitationRoutes_CallThePortWithTheRequestAndMapTheAnswer(t *testing.T) {
	view, org := fakeViews()
	fake := &fakeService{view: view, org: org}
	s, me := fakeServer(t, fake, io.Discard)
	inv := uuid.NewString()

	res := s.do(t, "POST", "/api/v1/organizations/"+org.ID.String()+"/members", map[string]any{"email": "Jane@Example.com", "role": "admin"}, "me")
	d := res.data(t)
	if res.status != 201 || d["id"] != view.ID.String() || d["status"] != "pending" || d["invited_by"] != view.InvitedBy.String() ||
		d["expires_at"] != "2025-03-01T13:00:00Z" || len(d) != 8 {
		t.Fatalf("add: %d %s", res.status, res.body)
	}
	res = s.do(t, "GET", "/api/v1/users/me/invitations?cursor=abc", nil, "me")
	var mine []map[string]any
	_ = json.Unmarshal(res.env.Data, &mine)
	if res.status != 200 || len(mine) != 1 || mine[0]["organization_name"] != "Acme" || mine[0]["organization_id"] != org.ID.String() ||
		!strings.Contains(string(res.env.Meta), `"next_cursor":"next"`) {
		t.Fatalf("mine: %d %s", res.status, res.body)
	}
	if _, ok := mine[0]["email"]; ok {
		t.Fatalf("my invitation repeats the address: %s", res.body)
	}
	res = s.do(t, "POST", "/api/v1/users/me/invitations/"+inv+"/accept", nil, "me")
	if res.status != 200 || res.data(t)["role"] != "admin" {
		t.Fatalf("accept: %d %s", res.status, res.body)
	}
	if res := s.do(t, "POST", "/api/v1/users/me/invitations/"+inv+"/decline", nil, "me"); res.status != 200 {
		t.Fatalf("decline: %d %s", res.status, res.body)
	}
	if res := s.do(t, "DELETE", "/api/v1/organizations/"+org.ID.String()+"/invitations/"+inv, nil, "me"); res.status != 200 {
		t.Fatalf("cancel: %d %s", res.status, res.body)
	}
	want := []string{
		"add " + me.String() + " " + org.ID.String() + " Jane@Example.com admin",
		"mine " + me.String() + " abc",
		"accept " + me.String() + " " + inv,
		"decline " + me.String() + " " + inv,
		"cancel " + me.String() + " " + org.ID.String() + " " + inv,
	}
	if strings.Join(fake.calls, "\n") != strings.Join(want, "\n") {
		t.Fatalf("calls:\n%s\nwant:\n%s", strings.Join(fake.calls, "\n"), strings.Join(want, "\n"))
	}
}

func TestInvitationRoutes_AMalformedIDIsNotFoundWithoutAskingThePort(t *testing.T) {
	fake := &fakeService{}
	s, _ := fakeServer(t, fake, io.Discard)
	for _, path := range []string{
		"/api/v1/users/me/invitations/not-a-uuid/accept",
		"/api/v1/users/me/invitations/" + strings.ReplaceAll(uuid.NewString(), "-", "") + "/decline",
		"/api/v1/users/me/invitations/{" + uuid.NewString() + "}/accept",
	} {
		res := s.do(t, "POST", path, nil, "me")
		if res.status != 404 || res.env.Error.Code != "organizations.invitation_not_found" {
			t.Errorf("%s: %d %s", path, res.status, res.body)
		}
	}
	res := s.do(t, "DELETE", "/api/v1/organizations/"+uuid.NewString()+"/invitations/nope", nil, "me")
	if res.status != 404 || res.env.Error.Code != "organizations.invitation_not_found" {
		t.Errorf("cancel with a malformed id: %d %s", res.status, res.body)
	}
	if len(fake.calls) != 0 {
		t.Fatalf("the port was asked: %v", fake.calls)
	}
}

func TestInvitationRoutes_DomainErrorsGetTheirStatus(t *testing.T) {
	view, org := fakeViews()
	for _, c := range []struct {
		err  error
		want int
	}{
		{organizations.ErrInvitationNotFound, 404},
		{organizations.ErrInvitationExpired, 409},
		{organizations.ErrInvitationAccepted, 409},
		{organizations.ErrInviterNotAllowed, 409},
		{shared.RateLimited("organizations.invitation_rate_limited", "slow down", 0).WithRetryAfter(90 * time.Second), 429},
	} {
		fake := &fakeService{view: view, org: org, err: c.err}
		s, _ := fakeServer(t, fake, io.Discard)
		res := s.do(t, "POST", "/api/v1/organizations/"+org.ID.String()+"/members", map[string]any{"email": "x@example.com"}, "me")
		if res.status != c.want {
			t.Errorf("%v: %d %s", c.err, res.status, res.body)
		}
	}
}

func TestAcceptByToken_PassesTheTokenAndKeepsItOutOfTheAccessLog(t *testing.T) {
	view, org := fakeViews()
	fake := &fakeService{view: view, org: org}
	var log bytes.Buffer
	s, me := fakeServer(t, fake, &log)
	token := "Zm9vYmFyLXNlY3JldC1saW5rLXRva2VuLTQzLWNoYXJzLXg"
	res := s.do(t, "POST", "/api/v1/invitations/"+token+"/accept", nil, "me")
	if res.status != 200 || res.data(t)["id"] != org.ID.String() {
		t.Fatalf("accept by token: %d %s", res.status, res.body)
	}
	if len(fake.calls) != 1 || fake.calls[0] != "token "+me.String()+" "+token {
		t.Fatalf("calls = %v", fake.calls)
	}
	fake.err = organizations.ErrInvitationNotFound
	if res := s.do(t, "POST", "/api/v1/invitations/"+token+"/accept", nil, "me"); res.status != 404 {
		t.Fatalf("unknown token: %d %s", res.status, res.body)
	}
	// A refused request is logged without the token too.
	for _, auth := range []string{"", "Bearer nobody"} {
		req := httptest.NewRequest("POST", "/api/v1/invitations/"+token+"/accept", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		if r, err := s.app.Test(req, -1); err != nil || r.StatusCode != 401 {
			t.Fatalf("unauthenticated: %v %v", r, err)
		}
	}
	if strings.Contains(log.String(), token) || strings.Count(log.String(), "/invitations/{token}/accept") < 4 {
		t.Fatalf("access log:\n%s", log.String())
	}
}
