package identityhttp_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/adapters/httpapi/apidocs/apidocstest"
	"github.com/secuird/authy/adapters/httpapi/identityhttp"
	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
)

// documented calls the route like call does and also checks the answer
// against the OpenAPI fragment.
func documented(t *testing.T, svc *fakeService, method, path, body, token string) (int, envelope, http.Header) {
	t.Helper()
	v, err := apidocstest.ForFragments(identityhttp.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	app := httpapi.New(httpapi.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	identityhttp.Register(app.Group("/api/v1"), svc, fakeAuth{})
	newReq := func() *http.Request {
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
		return req
	}
	res, err := app.Test(newReq(), -1)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	if err := v.Check(newReq(), res.StatusCode, res.Header, raw); err != nil {
		t.Fatalf("%s %s: the answer drifts from the OpenAPI fragment: %v\n%s", method, path, err, raw)
	}
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatalf("not an envelope: %s", raw)
	}
	return res.StatusCode, env, res.Header
}

func TestVerifyEmail_PassesTheTokenAndAnswersTheConfirmation(t *testing.T) {
	svc := &fakeService{}
	status, env, _ := documented(t, svc, "POST", "/api/v1/auth/verify-email", `{"token":"abc"}`, "")
	if status != 200 || len(svc.verify) != 1 || svc.verify[0].Token != "abc" {
		t.Fatalf("status %d, commands %+v", status, svc.verify)
	}
	var d map[string]any
	_ = json.Unmarshal(env.Data, &d)
	if d["email"] != "bob@acme-corp.com" || d["email_verified"] != true || d["email_changed"] != false || d["user_id"] != bobID.String() {
		t.Fatalf("data %v", d)
	}
}

func TestVerifyEmail_TokenErrorsAre400WithTheirStableCodes(t *testing.T) {
	for _, err := range []*shared.Error{identity.ErrTokenInvalid, identity.ErrTokenUsed, identity.ErrTokenExpired} {
		t.Run(err.Code(), func(t *testing.T) {
			for _, path := range []string{"/api/v1/auth/verify-email", "/api/v1/auth/password/reset"} {
				body := `{"token":"abc"}`
				if strings.HasSuffix(path, "reset") {
					body = `{"token":"abc","new_password":"Fresh passphrase 1"}`
				}
				status, env, _ := documented(t, &fakeService{err: err}, "POST", path, body, "")
				if status != 400 || env.Error == nil || env.Error.Type != "BAD_REQUEST" || env.Error.Code != err.Code() {
					t.Fatalf("%s: status %d %+v", path, status, env.Error)
				}
			}
		})
	}
}

func TestVerifyEmail_AnUnknownFieldNeverReachesTheService(t *testing.T) {
	svc := &fakeService{}
	status, env, _ := documented(t, svc, "POST", "/api/v1/auth/verify-email", `{"token":"abc","user_id":"x"}`, "")
	if status != 400 || env.Error.Type != "VALIDATION_ERROR" || len(svc.verify) != 0 {
		t.Fatalf("status %d %+v", status, env.Error)
	}
}

func TestResendVerification_Answers202WithTheAddressAndTheDeadline(t *testing.T) {
	status, env, _ := documented(t, &fakeService{}, "POST", "/api/v1/auth/verify-email/resend", "", bobToken)
	if status != 202 || string(env.Data) != `{"email":"bob@acme-corp.com","expires_at":"2025-03-02T12:00:00Z"}` {
		t.Fatalf("status %d data %s", status, env.Data)
	}
	status, env, _ = documented(t, &fakeService{err: shared.Conflict("identity.email_already_verified", "verified")},
		"POST", "/api/v1/auth/verify-email/resend", "", bobToken)
	if status != 409 || env.Error.Code != "identity.email_already_verified" {
		t.Fatalf("status %d %+v", status, env.Error)
	}
}

func TestForgotPassword_Answers202WithNothingButAMessage(t *testing.T) {
	svc := &fakeService{}
	status, env, _ := documented(t, svc, "POST", "/api/v1/auth/password/forgot", `{"email":"anyone@example.com"}`, "")
	if status != 202 || string(env.Data) != `{}` || len(svc.forgot) != 1 || svc.forgot[0].Email != "anyone@example.com" {
		t.Fatalf("status %d data %s commands %+v", status, env.Data, svc.forgot)
	}
	status, _, header := documented(t, &fakeService{err: shared.RateLimited("identity.password_reset_rate_limited", "too many", time.Minute)},
		"POST", "/api/v1/auth/password/forgot", `{"email":"anyone@example.com"}`, "")
	if status != 429 || header.Get("Retry-After") != "60" {
		t.Fatalf("status %d retry %q", status, header.Get("Retry-After"))
	}
}

func TestResetPassword_PassesTokenAndPasswordAndReportsTheSessionsEnded(t *testing.T) {
	svc := &fakeService{}
	status, env, _ := documented(t, svc, "POST", "/api/v1/auth/password/reset", `{"token":"abc","new_password":"Fresh passphrase 1"}`, "")
	if status != 200 || string(env.Data) != `{"sessions_revoked":4,"identities_unlinked":[]}` {
		t.Fatalf("status %d data %s", status, env.Data)
	}
	if svc.reset[0] != (identityport.ResetPasswordCommand{Token: "abc", NewPassword: "Fresh passphrase 1"}) {
		t.Fatalf("command %+v", svc.reset[0])
	}
}

func TestVerifyEmailAndResetPassword_NameTheProvidersWhoseIdentitiesTheProofUnlinked(t *testing.T) {
	unlinked := []identityport.UnlinkedIdentity{{Provider: "microsoft", DisplayName: "Microsoft"}}
	for _, c := range []struct{ path, body string }{
		{"/api/v1/auth/verify-email", `{"token":"abc"}`},
		{"/api/v1/auth/password/reset", `{"token":"abc","new_password":"Fresh passphrase 1"}`},
	} {
		status, env, _ := documented(t, &fakeService{unlinked: unlinked}, "POST", c.path, c.body, "")
		if status != 200 || !strings.Contains(string(env.Data), `"identities_unlinked":["microsoft"]`) || !strings.Contains(env.Message, "unlinked") {
			t.Fatalf("%s: status %d %s data %s", c.path, status, env.Message, env.Data)
		}
	}
}

func TestUpdateProfile_APendingEmailChangeIs202WithThePendingAddress(t *testing.T) {
	svc := &fakeService{updated: identityport.ProfileUpdated{
		User: bobView, PendingEmail: "new@acme-corp.com", PendingExpiresAt: t0.Add(24 * time.Hour),
	}}
	status, env, _ := documented(t, svc, "PATCH", "/api/v1/users/me", `{"email":"new@acme-corp.com","current_password":"UserPass123!"}`, bobToken)
	if status != 202 {
		t.Fatalf("status %d", status)
	}
	var d map[string]any
	_ = json.Unmarshal(env.Data, &d)
	if d["email"] != "bob@acme-corp.com" || d["pending_email"] != "new@acme-corp.com" || d["pending_email_expires_at"] != "2025-03-02T12:00:00Z" {
		t.Fatalf("data %v", d)
	}
	status, env, _ = documented(t, &fakeService{}, "PATCH", "/api/v1/users/me", `{"name":"Robert"}`, bobToken)
	if status != 200 || strings.Contains(string(env.Data), "pending_email") {
		t.Fatalf("a name change: status %d data %s", status, env.Data)
	}
}

func TestUpdateProfile_ReauthenticationErrorsAreDocumented(t *testing.T) {
	for _, tt := range []struct {
		err    error
		status int
	}{
		{shared.Forbidden("identity.reauthentication_required", "sign in again"), 403},
		{shared.Invalid("identity.wrong_password", "the current password is incorrect", map[string][]string{"current_password": {"is incorrect"}}), 400},
	} {
		status, _, _ := documented(t, &fakeService{err: tt.err}, "PATCH", "/api/v1/users/me", `{"email":"new@acme-corp.com"}`, bobToken)
		if status != tt.status {
			t.Fatalf("%v: status %d", tt.err, status)
		}
	}
}

func TestDeleteAccount_ReadsTheOptionalCurrentPassword(t *testing.T) {
	svc := &fakeService{}
	if status, _, _ := documented(t, svc, "DELETE", "/api/v1/users/me", `{"current_password":"UserPass123!"}`, bobToken); status != 200 {
		t.Fatalf("status %d", status)
	}
	if status, _, _ := documented(t, svc, "DELETE", "/api/v1/users/me", "", bobToken); status != 200 {
		t.Fatalf("without a body: status %d", status)
	}
	if len(svc.deletes) != 2 || svc.deletes[0].CurrentPassword != "UserPass123!" || svc.deletes[1].CurrentPassword != "" {
		t.Fatalf("commands %+v", svc.deletes)
	}
	status, env, _ := documented(t, svc, "DELETE", "/api/v1/users/me", `{"password":"UserPass123!"}`, bobToken)
	if status != 400 || env.Error.Type != "VALIDATION_ERROR" || len(svc.deletes) != 2 {
		t.Fatalf("an unknown field: status %d %+v", status, env.Error)
	}
}

func TestUser_ShowsWhetherAndWhenTheEmailWasVerified(t *testing.T) {
	at := t0.Add(time.Hour)
	svc := &fakeService{}
	verified := bobView
	verified.EmailVerified, verified.EmailVerifiedAt = true, at
	svc.updated = identityport.ProfileUpdated{User: verified}
	_, env, _ := documented(t, svc, "PATCH", "/api/v1/users/me", `{"name":"Bob"}`, bobToken)
	var d map[string]any
	_ = json.Unmarshal(env.Data, &d)
	if d["email_verified"] != true || d["email_verified_at"] != "2025-03-01T13:00:00Z" {
		t.Fatalf("data %v", d)
	}
	_, env, _ = documented(t, &fakeService{}, "GET", "/api/v1/auth/me", "", bobToken)
	_ = json.Unmarshal(env.Data, &d)
	if d["email_verified"] != false || d["email_verified_at"] != nil {
		t.Fatalf("data %v", d)
	}
}
