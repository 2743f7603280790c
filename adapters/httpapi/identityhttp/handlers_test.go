package identityhttp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/adapters/httpapi/apidocs"
	"github.com/secuird/authy/adapters/httpapi/apidocs/apidocstest"
	"github.com/secuird/authy/adapters/httpapi/identityhttp"
	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/sessionsport"
)

var (
	t0       = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	bobID    = shared.UserID(uuid.MustParse("7b0c6c1e-3a57-4c1f-9d51-0c2a4b6f8e01"))
	bobView  = identityport.UserView{ID: bobID, Email: "bob@acme-corp.com", Name: "Bob", CreatedAt: t0, UpdatedAt: t0}
	bobToken = "valid-token"
	bobSess  = uuid.MustParse("1f7c2b6a-0d5e-4f3a-8c9b-2a1d0e3f4b5c")
)

// fakeService records the commands it receives and answers with what the
// test set.
type fakeService struct {
	identityport.Service
	register   []identityport.RegisterCommand
	login      []identityport.LoginCommand
	profile    []identityport.UpdateProfileCommand
	password   []identityport.ChangePasswordCommand
	deleted    []sessionsport.Principal
	deletes    []identityport.DeleteAccountCommand
	principals []sessionsport.Principal
	verify     []identityport.VerifyEmailCommand
	forgot     []identityport.ForgotPasswordCommand
	reset      []identityport.ResetPasswordCommand
	// unlinked is what VerifyEmail and ResetPassword report unlinked.
	unlinked []identityport.UnlinkedIdentity
	// updated is what UpdateProfile answers (bobView when zero).
	updated identityport.ProfileUpdated
	err     error
}

func (f *fakeService) Register(_ context.Context, cmd identityport.RegisterCommand) (identityport.UserView, error) {
	f.register = append(f.register, cmd)
	return bobView, f.err
}

func (f *fakeService) Login(ctx context.Context, cmd identityport.LoginCommand) (identityport.LoginResult, error) {
	f.login = append(f.login, cmd)
	meta := shared.RequestMetaFrom(ctx)
	return identityport.LoginResult{
		Session: sessionsport.IssuedSession{Token: "new-token", Session: sessionsport.SessionView{
			ID: bobSess, UserID: bobID, CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(15 * time.Minute),
			AbsoluteExpiresAt: t0.Add(8 * time.Hour), IP: meta.ClientIP, UserAgent: meta.UserAgent, Current: true,
		}},
		User: bobView,
	}, f.err
}

func (f *fakeService) Me(_ context.Context, p sessionsport.Principal) (identityport.UserView, error) {
	f.principals = append(f.principals, p)
	return bobView, f.err
}

func (f *fakeService) UpdateProfile(_ context.Context, p sessionsport.Principal, cmd identityport.UpdateProfileCommand) (identityport.ProfileUpdated, error) {
	f.principals = append(f.principals, p)
	f.profile = append(f.profile, cmd)
	out := f.updated
	if out.User.ID.IsZero() {
		out.User = bobView
	}
	return out, f.err
}

func (f *fakeService) ChangePassword(_ context.Context, p sessionsport.Principal, cmd identityport.ChangePasswordCommand) (identityport.PasswordChanged, error) {
	f.principals = append(f.principals, p)
	f.password = append(f.password, cmd)
	return identityport.PasswordChanged{SessionsRevoked: 2}, f.err
}

func (f *fakeService) DeleteAccount(_ context.Context, p sessionsport.Principal, cmd identityport.DeleteAccountCommand) error {
	f.deleted = append(f.deleted, p)
	f.deletes = append(f.deletes, cmd)
	return f.err
}

func (f *fakeService) VerifyEmail(_ context.Context, cmd identityport.VerifyEmailCommand) (identityport.EmailConfirmed, error) {
	f.verify = append(f.verify, cmd)
	return identityport.EmailConfirmed{UserID: bobID, Email: "bob@acme-corp.com", Unlinked: f.unlinked}, f.err
}

func (f *fakeService) ResendVerification(_ context.Context, p sessionsport.Principal) (identityport.VerificationSent, error) {
	f.principals = append(f.principals, p)
	return identityport.VerificationSent{Email: "bob@acme-corp.com", ExpiresAt: t0.Add(24 * time.Hour)}, f.err
}

func (f *fakeService) ForgotPassword(_ context.Context, cmd identityport.ForgotPasswordCommand) error {
	f.forgot = append(f.forgot, cmd)
	return f.err
}

func (f *fakeService) ResetPassword(_ context.Context, cmd identityport.ResetPasswordCommand) (identityport.PasswordReset, error) {
	f.reset = append(f.reset, cmd)
	return identityport.PasswordReset{SessionsRevoked: 4, Unlinked: f.unlinked}, f.err
}

type fakeAuth struct{}

func (fakeAuth) Authenticate(_ context.Context, token string) (sessionsport.Principal, error) {
	if token != bobToken {
		return sessionsport.Principal{}, shared.Unauthenticated("sessions.invalid_token", "invalid or expired token")
	}
	return sessionsport.Principal{UserID: bobID, SessionID: bobSess, ExpiresAt: t0.Add(15 * time.Minute)}, nil
}

type envelope struct {
	Success   bool            `json:"success"`
	Code      int             `json:"code"`
	Message   string          `json:"message"`
	RequestID string          `json:"request_id"`
	Data      json.RawMessage `json:"data"`
	Error     *struct {
		Type    string              `json:"type"`
		Code    string              `json:"code"`
		Details map[string][]string `json:"details"`
	} `json:"error"`
}

func call(t *testing.T, svc *fakeService, method, path, body, token string) (*http.Response, envelope) {
	t.Helper()
	app := httpapi.New(httpapi.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	identityhttp.Register(app.Group("/api/v1"), svc, fakeAuth{})
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("User-Agent", "handler-test")
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatalf("not an envelope: %s", raw)
	}
	if bytes.Contains(raw, []byte("argon2")) || bytes.Contains(raw, []byte("password_hash")) {
		t.Fatalf("response leaks a hash: %s", raw)
	}
	return res, env
}

func TestRegister_DecodesTheBodyAndAnswers201WithTheUser(t *testing.T) {
	svc := &fakeService{}
	res, env := call(t, svc, "POST", "/api/v1/auth/register", `{"email":"bob@acme-corp.com","password":"UserPass123!","name":"Bob"}`, "")
	if res.StatusCode != 201 || !env.Success {
		t.Fatalf("status %d %+v", res.StatusCode, env)
	}
	want := identityport.RegisterCommand{Email: "bob@acme-corp.com", Password: "UserPass123!", Name: "Bob"}
	if len(svc.register) != 1 || svc.register[0] != want {
		t.Fatalf("command = %+v", svc.register)
	}
	var u map[string]any
	_ = json.Unmarshal(env.Data, &u)
	if u["id"] != bobID.String() || u["email"] != "bob@acme-corp.com" || u["created_at"] != "2025-03-01T12:00:00Z" ||
		u["email_verified"] != false || u["email_verified_at"] != nil || len(u) != 7 {
		t.Fatalf("data = %v", u)
	}
}

func TestRegister_UnknownAndMistypedFieldsNeverReachTheService(t *testing.T) {
	tests := []struct {
		name, body, field string
	}{
		{"unknown field", `{"email":"a@b.co","password":"UserPass123!","name":"A","is_admin":true}`, "is_admin"},
		{"mistyped field", `{"email":"a@b.co","password":12345678,"name":"A"}`, "password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &fakeService{}
			res, env := call(t, svc, "POST", "/api/v1/auth/register", tt.body, "")
			if res.StatusCode != 400 || env.Error == nil || env.Error.Type != "VALIDATION_ERROR" || len(env.Error.Details[tt.field]) == 0 {
				t.Fatalf("status %d %+v", res.StatusCode, env.Error)
			}
			if len(svc.register) != 0 {
				t.Fatal("the service must not be called")
			}
		})
	}
}

func TestLogin_ReturnsTokenSessionAndUser(t *testing.T) {
	svc := &fakeService{}
	res, env := call(t, svc, "POST", "/api/v1/auth/login", `{"email":"bob@acme-corp.com","password":"UserPass123!"}`, "")
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	var data struct {
		Token     string         `json:"token"`
		TokenType string         `json:"token_type"`
		ExpiresAt time.Time      `json:"expires_at"`
		Session   map[string]any `json:"session"`
		User      map[string]any `json:"user"`
	}
	if err := json.Unmarshal(env.Data, &data); err != nil {
		t.Fatal(err)
	}
	if data.Token != "new-token" || data.TokenType != "Bearer" || !data.ExpiresAt.Equal(t0.Add(15*time.Minute)) ||
		data.Session["id"] != bobSess.String() || data.Session["current"] != true || data.Session["user_agent"] != "handler-test" ||
		data.User["email"] != "bob@acme-corp.com" {
		t.Fatalf("data = %+v", data)
	}
}

func TestLogin_ServiceErrorsGoThroughTheOneErrorTable(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		typ    string
		retry  string
	}{
		{"bad credentials", identity.ErrInvalidCredentials, 401, "AUTHENTICATION_ERROR", ""},
		{"rate limited", shared.RateLimited("identity.login_rate_limited", "too many", 42*time.Second), 429, "RATE_LIMIT_EXCEEDED", "42"},
		{"hasher busy", identityport.ErrHasherBusy, 503, "SERVICE_UNAVAILABLE", "5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, env := call(t, &fakeService{err: tt.err}, "POST", "/api/v1/auth/login", `{"email":"x@y.co","password":"whatever1"}`, "")
			if res.StatusCode != tt.status || env.Error == nil || env.Error.Type != tt.typ || res.Header.Get("Retry-After") != tt.retry {
				t.Fatalf("status %d retry %q %+v", res.StatusCode, res.Header.Get("Retry-After"), env.Error)
			}
		})
	}
}

func TestProtectedRoutes_RequireABearerTokenAndPassThePrincipal(t *testing.T) {
	routes := []struct {
		method, path, body string
	}{
		{"GET", "/api/v1/auth/me", ""},
		{"GET", "/api/v1/users/me", ""},
		{"PATCH", "/api/v1/users/me", `{"name":"Robert"}`},
		{"DELETE", "/api/v1/users/me", ""},
		{"POST", "/api/v1/users/me/password", `{"current_password":"UserPass123!","new_password":"Fresh passphrase 1"}`},
		{"POST", "/api/v1/auth/verify-email/resend", ""},
	}
	for _, r := range routes {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			svc := &fakeService{}
			for _, token := range []string{"", "stolen-or-expired"} {
				res, env := call(t, svc, r.method, r.path, r.body, token)
				if res.StatusCode != 401 || env.Error == nil || env.Error.Type != "AUTHENTICATION_ERROR" {
					t.Fatalf("token %q: status %d", token, res.StatusCode)
				}
			}
			if len(svc.principals)+len(svc.deleted) != 0 {
				t.Fatal("the service must not be called without a valid token")
			}
			res, env := call(t, svc, r.method, r.path, r.body, bobToken)
			if res.StatusCode/100 != 2 || !env.Success {
				t.Fatalf("status %d %+v", res.StatusCode, env.Error)
			}
			got := append(svc.principals, svc.deleted...)
			if len(got) != 1 || got[0].UserID != bobID || got[0].SessionID != bobSess {
				t.Fatalf("principal = %+v", got)
			}
		})
	}
}

func TestUpdateProfile_PassesOnlyTheFieldsThatWereSent(t *testing.T) {
	svc := &fakeService{}
	if res, _ := call(t, svc, "PATCH", "/api/v1/users/me", `{"email":"new@acme-corp.com","current_password":"UserPass123!"}`, bobToken); res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	cmd := svc.profile[0]
	if cmd.Name != nil || cmd.Email == nil || *cmd.Email != "new@acme-corp.com" || cmd.CurrentPassword != "UserPass123!" {
		t.Fatalf("command = %+v", cmd)
	}
}

func TestChangePassword_ReportsHowManySessionsEnded(t *testing.T) {
	svc := &fakeService{}
	_, env := call(t, svc, "POST", "/api/v1/users/me/password", `{"current_password":"UserPass123!","new_password":"Fresh passphrase 1"}`, bobToken)
	if string(env.Data) != `{"sessions_revoked":2}` {
		t.Fatalf("data = %s", env.Data)
	}
	if svc.password[0] != (identityport.ChangePasswordCommand{CurrentPassword: "UserPass123!", NewPassword: "Fresh passphrase 1"}) {
		t.Fatalf("command = %+v", svc.password[0])
	}
}

func TestDeleteAccount_AGuardConflictIs409(t *testing.T) {
	svc := &fakeService{err: shared.Conflict("organizations.sole_owner", "transfer ownership first")}
	res, env := call(t, svc, "DELETE", "/api/v1/users/me", "", bobToken)
	if res.StatusCode != 409 || env.Error.Code != "organizations.sole_owner" {
		t.Fatalf("status %d %+v", res.StatusCode, env.Error)
	}
}

func TestOpenAPI_FragmentDocumentsEveryRouteAndMergesWithTheBase(t *testing.T) {
	doc, err := apidocs.Build(identityhttp.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	ops := strings.Join(doc.Operations(), "\n")
	for _, want := range []string{
		"POST /api/v1/auth/register", "POST /api/v1/auth/login", "GET /api/v1/auth/me",
		"GET /api/v1/users/me", "PATCH /api/v1/users/me", "DELETE /api/v1/users/me", "POST /api/v1/users/me/password",
		"POST /api/v1/auth/verify-email", "POST /api/v1/auth/verify-email/resend",
		"POST /api/v1/auth/password/forgot", "POST /api/v1/auth/password/reset",
	} {
		if !strings.Contains(ops, want) {
			t.Errorf("%s is not documented", want)
		}
	}
}

func TestUpdateProfile_AnEmailChangeOverItsLimitIs429WithRetryAfterAsDocumented(t *testing.T) {
	v, err := apidocstest.ForFragments(identityhttp.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	svc := &fakeService{err: shared.RateLimited("identity.email_change_rate_limited", "too many email changes; retry later", 30*time.Minute)}
	app := httpapi.New(httpapi.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	identityhttp.Register(app.Group("/api/v1"), svc, fakeAuth{})
	newReq := func() *http.Request {
		req := httptest.NewRequest("PATCH", "/api/v1/users/me", strings.NewReader(`{"email":"someone@acme-corp.com"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+bobToken)
		return req
	}
	res, err := app.Test(newReq(), -1)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != 429 || res.Header.Get("Retry-After") != "1800" || !bytes.Contains(raw, []byte("identity.email_change_rate_limited")) {
		t.Fatalf("status %d retry %q %s", res.StatusCode, res.Header.Get("Retry-After"), raw)
	}
	if err := v.Check(newReq(), res.StatusCode, res.Header, raw); err != nil {
		t.Fatal(err)
	}
}
