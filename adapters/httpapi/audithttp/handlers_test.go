package audithttp_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/adapters/httpapi/apidocs/apidocstest"
	"github.com/secuird/authy/adapters/httpapi/audithttp"
	"github.com/secuird/authy/domain/audit"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/sessionsport"
)

var (
	alice = shared.UserID(uuid.MustParse("11111111-1111-4111-8111-111111111111"))
	orgID = shared.OrganizationID(uuid.MustParse("22222222-2222-4222-8222-222222222222"))
)

type authenticator struct{}

func (authenticator) Authenticate(_ context.Context, token string) (sessionsport.Principal, error) {
	if token == "alice" {
		return sessionsport.Principal{UserID: alice, SessionID: uuid.New(), ExpiresAt: time.Now().Add(time.Hour)}, nil
	}
	return sessionsport.Principal{}, shared.Unauthenticated("auth.invalid_token", "invalid or expired token")
}

// reader is a fake auditport.Reader that records what it was asked and
// answers with a fixed page or error.
type reader struct {
	mu      sync.Mutex
	calls   []string
	user    shared.UserID
	org     shared.OrganizationID
	req     auditport.ListRequest
	page    auditport.Page
	orgErr  error
	listErr error
}

func (r *reader) ListForUser(_ context.Context, user shared.UserID, req auditport.ListRequest) (auditport.Page, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls, r.user, r.req = append(r.calls, "user"), user, req
	return r.page, r.listErr
}

func (r *reader) ListForOrganization(_ context.Context, caller shared.UserID, org shared.OrganizationID, req auditport.ListRequest) (auditport.Page, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls, r.user, r.org, r.req = append(r.calls, "org"), caller, org, req
	if r.orgErr != nil {
		return auditport.Page{}, r.orgErr
	}
	return r.page, r.listErr
}

// fragment validates responses against this context's OpenAPI fragment
// merged into the base document.
var fragment = sync.OnceValues(func() (*apidocstest.Validator, error) {
	return apidocstest.ForFragments(audithttp.OpenAPI)
})

func newApp(r *reader) *fiber.App {
	app := httpapi.New(httpapi.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	audithttp.Register(app.Group("/api/v1"), r, authenticator{})
	return app
}

type envelope struct {
	Code int             `json:"code"`
	Data json.RawMessage `json:"data"`
	Meta struct {
		Limit      int     `json:"limit"`
		NextCursor *string `json:"next_cursor"`
	} `json:"meta"`
	Error *struct {
		Type    string              `json:"type"`
		Code    string              `json:"code"`
		Details map[string][]string `json:"details"`
	} `json:"error"`
}

func get(t *testing.T, app *fiber.App, path, token string) (int, envelope) {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil || env.Code != res.StatusCode {
		t.Fatalf("GET %s: not an envelope: %s", path, body)
	}
	validate(t, path, res, body)
	return res.StatusCode, env
}

func validate(t *testing.T, path string, res *http.Response, body []byte) {
	t.Helper()
	v, err := fragment()
	if err != nil {
		t.Fatalf("OpenAPI fragment: %v", err)
	}
	if err := v.Check(httptest.NewRequest("GET", "http://localhost"+path, nil), res.StatusCode, res.Header, body); err != nil {
		t.Errorf("%v\n%s", err, body)
	}
}

func samplePage() auditport.Page {
	return auditport.Page{
		Limit:      2,
		NextCursor: "next-page",
		Items: []auditport.RecordView{
			{
				ID: uuid.New(), Sequence: 7, OccurredAt: time.Date(2025, 3, 1, 12, 0, 0, 123456000, time.UTC),
				ActorType: "anonymous", Action: "auth.login.failed", TargetType: "user", TargetID: alice.String(),
				ClientIP: "203.0.113.7", UserAgent: "Mozilla/5.0", RequestID: uuid.NewString(), CorrelationID: "checkout-7f3a",
				Details: []byte(`{"reason":"wrong_password"}`), PrevHash: "p", Hash: "h",
			},
			{
				ID: uuid.New(), Sequence: 6, OccurredAt: time.Date(2025, 3, 1, 11, 0, 0, 0, time.UTC),
				ActorType: "user", ActorID: alice.String(), Action: "organization.created",
				TargetType: "organization", TargetID: orgID.String(), OrganizationID: orgID.String(),
				Details: []byte(`{}`),
			},
			{
				// Written, not sealed yet: no place in the chain.
				ID: uuid.New(), OccurredAt: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC),
				ActorType: "user", ActorID: alice.String(), Action: "auth.logout", Details: []byte(`{}`),
			},
		},
	}
}

func TestListMine_PassesFiltersAndMapsThePage(t *testing.T) {
	r := &reader{page: samplePage()}
	q := url.Values{"action": {"auth.*"}, "actor_id": {"x"}, "from": {"2025-01-01T00:00:00Z"}, "to": {"2025-02-01T00:00:00Z"}, "limit": {"2"}, "cursor": {"abc"}}
	status, env := get(t, newApp(r), "/api/v1/users/me/audit-logs?"+q.Encode(), "alice")
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	want := auditport.ListRequest{Action: "auth.*", ActorID: "x", From: "2025-01-01T00:00:00Z", To: "2025-02-01T00:00:00Z", Limit: 2, Cursor: "abc"}
	if r.req != want || r.user != alice {
		t.Fatalf("asked %+v for %v", r.req, r.user)
	}
	var items []map[string]any
	if err := json.Unmarshal(env.Data, &items); err != nil || len(items) != 3 {
		t.Fatalf("data = %s", env.Data)
	}
	if items[0]["sequence"] != float64(7) || items[2]["sequence"] != nil {
		t.Fatalf("sequences %v and %v, want 7 and null for the record not sealed yet", items[0]["sequence"], items[2]["sequence"])
	}
	first := items[0]
	if first["action"] != "auth.login.failed" || first["actor_id"] != nil || first["ip"] != "203.0.113.7" ||
		first["occurred_at"] != "2025-03-01T12:00:00.123456Z" || first["details"].(map[string]any)["reason"] != "wrong_password" {
		t.Fatalf("first = %v", first)
	}
	if _, leaked := first["hash"]; leaked {
		t.Fatal("the chain hash is not part of the API")
	}
	if first["correlation_id"] != "checkout-7f3a" || first["request_id"] == first["correlation_id"] {
		t.Fatalf("first = %v", first)
	}
	if items[1]["ip"] != nil || items[1]["correlation_id"] != nil || items[1]["organization_id"] != orgID.String() {
		t.Fatalf("second = %v", items[1])
	}
	if env.Meta.Limit != 2 || env.Meta.NextCursor == nil || *env.Meta.NextCursor != "next-page" {
		t.Fatalf("meta = %+v", env.Meta)
	}
}

func TestListMine_LastPageHasNullCursorAndLimitIsClamped(t *testing.T) {
	r := &reader{page: auditport.Page{Limit: 200}}
	status, env := get(t, newApp(r), "/api/v1/users/me/audit-logs?limit=100000", "alice")
	if status != 200 || env.Meta.NextCursor != nil || string(env.Data) != "[]" {
		t.Fatalf("%d %+v %s", status, env.Meta, env.Data)
	}
	if r.req.Limit != auditport.MaxPageSize {
		t.Fatalf("limit passed = %d", r.req.Limit)
	}
	status, env = get(t, newApp(r), "/api/v1/users/me/audit-logs?limit=ten", "alice")
	if status != 400 || env.Error.Type != "VALIDATION_ERROR" {
		t.Fatalf("limit=ten: %d %+v", status, env.Error)
	}
}

func TestListMine_ServiceValidationErrorsAre400(t *testing.T) {
	r := &reader{listErr: audit.ErrInvalidCursor}
	status, env := get(t, newApp(r), "/api/v1/users/me/audit-logs?cursor=forged", "alice")
	if status != 400 || env.Error.Type != "VALIDATION_ERROR" || len(env.Error.Details["cursor"]) == 0 {
		t.Fatalf("%d %+v", status, env.Error)
	}
}

func TestListOrganization_StatusForEachCaller(t *testing.T) {
	cases := []struct {
		name   string
		path   string
		token  string
		orgErr error
		want   int
		asked  bool
	}{
		{"owner or admin", "/api/v1/organizations/" + orgID.String() + "/audit-logs", "alice", nil, 200, true},
		{"member", "/api/v1/organizations/" + orgID.String() + "/audit-logs", "alice", audit.ErrForbidden, 403, true},
		{"non-member", "/api/v1/organizations/" + orgID.String() + "/audit-logs", "alice", audit.ErrOrganizationNotFound, 404, true},
		{"malformed id", "/api/v1/organizations/not-a-uuid/audit-logs", "alice", nil, 404, false},
		{"anonymous", "/api/v1/organizations/" + orgID.String() + "/audit-logs", "", nil, 401, false},
		{"bad token", "/api/v1/organizations/" + orgID.String() + "/audit-logs", "mallory", nil, 401, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &reader{page: samplePage(), orgErr: c.orgErr}
			status, env := get(t, newApp(r), c.path, c.token)
			if status != c.want {
				t.Fatalf("status %d, want %d (%+v)", status, c.want, env.Error)
			}
			if asked := len(r.calls) == 1 && r.calls[0] == "org"; asked != c.asked {
				t.Fatalf("service asked = %v, want %v", asked, c.asked)
			}
			if c.asked && (r.org != orgID || r.user != alice) {
				t.Fatalf("asked for %v by %v", r.org, r.user)
			}
			if status == 404 && env.Error.Code != "organizations.not_found" {
				t.Fatalf("404 code %q", env.Error.Code)
			}
		})
	}
}

func TestListMine_RequiresAuthentication(t *testing.T) {
	r := &reader{}
	if status, _ := get(t, newApp(r), "/api/v1/users/me/audit-logs", ""); status != 401 {
		t.Fatalf("status %d", status)
	}
	if len(r.calls) != 0 {
		t.Fatal("the service was asked without a principal")
	}
}
