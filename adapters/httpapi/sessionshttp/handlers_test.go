package sessionshttp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/adapters/httpapi/apidocs"
	"github.com/secuird/authy/adapters/httpapi/sessionshttp"
	"github.com/secuird/authy/domain/sessions"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/sessionsport"
)

var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// fakeService records calls and answers from its fields.
type fakeService struct {
	principal sessionsport.Principal
	calls     []string
	revoked   uuid.UUID
	query     sessionsport.ListQuery
	page      sessionsport.SessionPage
	err       error
}

func (f *fakeService) Authenticate(_ context.Context, token string) (sessionsport.Principal, error) {
	if token != "good" {
		return sessionsport.Principal{}, sessions.ErrInvalidToken
	}
	return f.principal, nil
}

func (f *fakeService) Start(context.Context, shared.UserID, sessionsport.AuthMethod) (sessionsport.IssuedSession, error) {
	panic("not used over HTTP")
}

func (f *fakeService) List(context.Context, sessionsport.Principal) ([]sessionsport.SessionView, error) {
	panic("the handler pages")
}

func (f *fakeService) ListPage(_ context.Context, p sessionsport.Principal, q sessionsport.ListQuery) (sessionsport.SessionPage, error) {
	f.calls = append(f.calls, "list:"+p.SessionID.String())
	f.query = q
	return f.page, f.err
}

func (f *fakeService) Refresh(_ context.Context, p sessionsport.Principal) (sessionsport.SessionView, error) {
	f.calls = append(f.calls, "refresh:"+p.SessionID.String())
	return view(p.SessionID, true), f.err
}

func (f *fakeService) Revoke(_ context.Context, p sessionsport.Principal, id uuid.UUID) error {
	f.calls = append(f.calls, "revoke")
	f.revoked = id
	return f.err
}

func (f *fakeService) Logout(_ context.Context, p sessionsport.Principal) error {
	f.calls = append(f.calls, "logout:"+p.SessionID.String())
	return f.err
}

func (f *fakeService) RevokeAllOf(context.Context, shared.UserID, uuid.UUID, string) (int, error) {
	panic("not used over HTTP")
}

func (f *fakeService) ExpireStale(context.Context, int) (int, error) { panic("not used over HTTP") }

func view(id uuid.UUID, current bool) sessionsport.SessionView {
	return sessionsport.SessionView{
		ID: id, CreatedAt: t0, LastSeenAt: t0.Add(time.Minute), ExpiresAt: t0.Add(16 * time.Minute),
		AbsoluteExpiresAt: t0.Add(8 * time.Hour), IP: "203.0.113.9", UserAgent: "ua", Current: current,
		Method: sessionsport.MethodPassword, AuthTime: t0,
	}
}

func newApp(f *fakeService) *fiber.App {
	app := httpapi.New(httpapi.Options{Logger: slog.New(slog.DiscardHandler)})
	sessionshttp.Register(app.Group("/api/v1"), f)
	return app
}

type envelope struct {
	Success bool            `json:"success"`
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
	Meta    json.RawMessage `json:"meta"`
	Error   *struct {
		Type string `json:"type"`
		Code string `json:"code"`
	} `json:"error"`
}

func call(t *testing.T, app *fiber.App, method, path, token string) (int, envelope) {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatalf("%s %s: not an envelope: %s", method, path, raw)
	}
	return res.StatusCode, env
}

func principal() sessionsport.Principal {
	return sessionsport.Principal{UserID: shared.UserID(uuid.New()), SessionID: uuid.New(), ExpiresAt: t0.Add(time.Hour)}
}

func TestRoutes_RefuseRequestsWithoutAValidToken(t *testing.T) {
	f := &fakeService{principal: principal()}
	app := newApp(f)
	for _, r := range [][2]string{
		{"POST", "/api/v1/auth/logout"}, {"GET", "/api/v1/auth/sessions"},
		{"POST", "/api/v1/auth/sessions/refresh"}, {"DELETE", "/api/v1/auth/sessions/" + uuid.NewString()},
	} {
		for _, tok := range []string{"", "bad"} {
			status, env := call(t, app, r[0], r[1], tok)
			if status != http.StatusUnauthorized || env.Error == nil || env.Error.Type != "AUTHENTICATION_ERROR" {
				t.Errorf("%s %s token %q: %d %+v", r[0], r[1], tok, status, env.Error)
			}
		}
	}
	if len(f.calls) != 0 {
		t.Fatalf("the service was called: %v", f.calls)
	}
}

func TestLogout_EndsTheCallersSession(t *testing.T) {
	f := &fakeService{principal: principal()}
	status, env := call(t, newApp(f), "POST", "/api/v1/auth/logout", "good")
	if status != 200 || !env.Success || string(env.Data) != "{}" {
		t.Fatalf("%d %s", status, env.Data)
	}
	if len(f.calls) != 1 || f.calls[0] != "logout:"+f.principal.SessionID.String() {
		t.Fatalf("calls %v", f.calls)
	}
}

func TestList_SendsTheLimitAndCursorAndReturnsThePage(t *testing.T) {
	f := &fakeService{principal: principal()}
	a, b := uuid.New(), uuid.New()
	f.page = sessionsport.SessionPage{Items: []sessionsport.SessionView{view(a, true), view(b, false)}, NextCursor: "abc"}
	status, env := call(t, newApp(f), "GET", "/api/v1/auth/sessions?limit=500&cursor=xyz", "good")
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	if f.query.Limit != 100 || f.query.Cursor != "xyz" {
		t.Fatalf("query %+v: the limit is clamped to 100", f.query)
	}
	var items []map[string]any
	_ = json.Unmarshal(env.Data, &items)
	if len(items) != 2 || items[0]["id"] != a.String() || items[0]["current"] != true || items[1]["current"] != false {
		t.Fatalf("items %v", items)
	}
	for _, k := range []string{"created_at", "last_seen_at", "expires_at", "absolute_expires_at", "ip", "user_agent"} {
		if _, ok := items[0][k]; !ok {
			t.Errorf("missing %s", k)
		}
	}
	if items[0]["auth_method"] != "password" || fmt.Sprint(items[0]["amr"]) != "[pwd]" || items[0]["auth_time"] != t0.Format(time.RFC3339) {
		t.Errorf("the session's sign-in is not shown: %v %v %v", items[0]["auth_method"], items[0]["amr"], items[0]["auth_time"])
	}
	var meta struct {
		Limit      int     `json:"limit"`
		NextCursor *string `json:"next_cursor"`
	}
	_ = json.Unmarshal(env.Meta, &meta)
	if meta.Limit != 100 || meta.NextCursor == nil || *meta.NextCursor != "abc" {
		t.Fatalf("meta %s", env.Meta)
	}
	f.page = sessionsport.SessionPage{}
	_, env = call(t, newApp(f), "GET", "/api/v1/auth/sessions", "good")
	if string(env.Data) != "[]" || !strings.Contains(string(env.Meta), `"next_cursor":null`) || f.query.Limit != 20 {
		t.Fatalf("empty page: %s %s (limit %d)", env.Data, env.Meta, f.query.Limit)
	}
}

func TestList_AnswersABadLimitOrCursorWith400(t *testing.T) {
	f := &fakeService{principal: principal()}
	status, env := call(t, newApp(f), "GET", "/api/v1/auth/sessions?limit=ten", "good")
	if status != 400 || env.Error.Type != "VALIDATION_ERROR" {
		t.Fatalf("%d %+v", status, env.Error)
	}
	f.err = shared.Invalid("sessions.invalid_cursor", "bad", map[string][]string{"cursor": {"x"}})
	status, env = call(t, newApp(f), "GET", "/api/v1/auth/sessions?cursor=zz", "good")
	if status != 400 || env.Error.Code != "sessions.invalid_cursor" {
		t.Fatalf("%d %+v", status, env.Error)
	}
}

func TestRefresh_ReturnsTheSessionWithItsNewExpiry(t *testing.T) {
	f := &fakeService{principal: principal()}
	status, env := call(t, newApp(f), "POST", "/api/v1/auth/sessions/refresh", "good")
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	var got map[string]any
	_ = json.Unmarshal(env.Data, &got)
	if got["id"] != f.principal.SessionID.String() || got["expires_at"] != "2025-03-01T09:16:00Z" {
		t.Fatalf("data %v", got)
	}
}

func TestRevoke_MapsIdsAndErrors(t *testing.T) {
	id := uuid.New()
	for _, c := range []struct {
		name, path string
		err        error
		status     int
		called     bool
	}{
		{"own session", "/api/v1/auth/sessions/" + id.String(), nil, 200, true},
		{"not the caller's", "/api/v1/auth/sessions/" + id.String(), sessions.ErrNotFound, 404, true},
		{"malformed id", "/api/v1/auth/sessions/not-a-uuid", nil, 404, false},
		{"uuid without dashes", "/api/v1/auth/sessions/" + strings.ReplaceAll(id.String(), "-", ""), nil, 404, false},
		{"braced uuid", "/api/v1/auth/sessions/%7B" + id.String() + "%7D", nil, 404, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := &fakeService{principal: principal(), err: c.err}
			status, env := call(t, newApp(f), "DELETE", c.path, "good")
			if status != c.status {
				t.Fatalf("status %d, want %d (%+v)", status, c.status, env.Error)
			}
			if c.status == 404 && (env.Error == nil || env.Error.Code != "sessions.not_found") {
				t.Fatalf("error %+v", env.Error)
			}
			if c.called != (len(f.calls) == 1) || (c.called && f.revoked != id) {
				t.Fatalf("calls %v revoked %s", f.calls, f.revoked)
			}
		})
	}
}

func TestOpenAPI_FragmentDocumentsEveryRouteWithSharedComponents(t *testing.T) {
	built, err := apidocs.Build(sessionshttp.OpenAPI)
	if err != nil {
		t.Fatalf("the fragment does not merge into a valid document: %v", err)
	}
	doc := built.Spec
	want := map[string][]string{
		"/api/v1/auth/logout":           {"POST"},
		"/api/v1/auth/sessions":         {"GET"},
		"/api/v1/auth/sessions/refresh": {"POST"},
		"/api/v1/auth/sessions/{id}":    {"DELETE"},
	}
	for path, methods := range want {
		item := doc.Paths.Find(path)
		if item == nil {
			t.Fatalf("%s is not documented", path)
		}
		for _, m := range methods {
			op := item.GetOperation(m)
			if op == nil || op.OperationID == "" || op.Security == nil || op.Responses.Value("401") == nil {
				t.Fatalf("%s %s: missing operation, id, security or 401", m, path)
			}
		}
	}
}
