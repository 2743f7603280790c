package passkeyhttp_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/adapters/httpapi/passkeyhttp"
	"github.com/secuird/authy/domain/passkey"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/passkeyport"
	"github.com/secuird/authy/ports/sessionsport"
)

var t0 = time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)

// fake records what the handlers passed and answers from its fields.
type fake struct {
	calls  []string
	finish passkeyport.FinishLoginCommand
	login  passkeyport.LoginCompleted
}

type auth struct{}

func (auth) Authenticate(_ context.Context, token string) (sessionsport.Principal, error) {
	if token != "good" {
		return sessionsport.Principal{}, shared.Unauthenticated("sessions.invalid_token", "no")
	}
	return sessionsport.Principal{UserID: shared.UserID(uuid.New()), SessionID: uuid.New()}, nil
}

func (f *fake) BeginRegistration(context.Context, sessionsport.Principal) (passkeyport.Begun, error) {
	f.calls = append(f.calls, "begin-registration")
	return passkeyport.Begun{Ceremony: "c", ExpiresAt: t0, Options: json.RawMessage(`{"publicKey":{"challenge":"x"}}`)}, nil
}
func (f *fake) FinishRegistration(_ context.Context, _ sessionsport.Principal, cmd passkeyport.FinishRegistrationCommand) (passkeyport.PasskeyView, error) {
	f.calls = append(f.calls, "finish-registration:"+cmd.Name)
	return passkeyport.PasskeyView{ID: uuid.New(), Name: cmd.Name, CreatedAt: t0}, nil
}
func (f *fake) List(context.Context, sessionsport.Principal) ([]passkeyport.PasskeyView, error) {
	f.calls = append(f.calls, "list")
	return nil, nil
}
func (f *fake) Rename(_ context.Context, _ sessionsport.Principal, id uuid.UUID, name string) (passkeyport.PasskeyView, error) {
	f.calls = append(f.calls, "rename:"+name)
	return passkeyport.PasskeyView{ID: id, Name: name, CreatedAt: t0}, nil
}
func (f *fake) Remove(_ context.Context, _ sessionsport.Principal, id uuid.UUID) error {
	f.calls = append(f.calls, "remove:"+id.String())
	return nil
}
func (f *fake) BeginLogin(context.Context) (passkeyport.Begun, error) {
	f.calls = append(f.calls, "begin-login")
	return passkeyport.Begun{Ceremony: "c", ExpiresAt: t0, Options: json.RawMessage(`{"publicKey":{"challenge":"x"}}`)}, nil
}
func (f *fake) FinishLogin(_ context.Context, cmd passkeyport.FinishLoginCommand) (passkeyport.LoginCompleted, error) {
	f.calls = append(f.calls, "finish-login")
	f.finish = cmd
	return f.login, nil
}

func call(t *testing.T, f *fake, method, path, token, body string) (int, map[string]any, string) {
	t.Helper()
	app := httpapi.New(httpapi.Options{Logger: slog.New(slog.DiscardHandler)})
	passkeyhttp.Register(app.Group("/api/v1"), f, auth{})
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	var env map[string]any
	_ = json.Unmarshal(raw, &env)
	return res.StatusCode, env, res.Header.Get("Cache-Control")
}

func TestRoutes_NeedASessionExceptTheSignInCeremony(t *testing.T) {
	f := &fake{}
	for _, r := range [][2]string{
		{"GET", "/api/v1/users/me/mfa/webauthn"}, {"POST", "/api/v1/users/me/mfa/webauthn/register/begin"},
		{"DELETE", "/api/v1/users/me/mfa/webauthn/" + uuid.NewString()},
	} {
		if status, _, _ := call(t, f, r[0], r[1], "bad", ""); status != 401 {
			t.Errorf("%s %s without a session: %d", r[0], r[1], status)
		}
	}
	if len(f.calls) != 0 {
		t.Fatalf("the service was called: %v", f.calls)
	}
	status, env, cache := call(t, f, "POST", "/api/v1/auth/webauthn/login/begin", "", "")
	if status != 200 || cache != "no-store" || env["data"].(map[string]any)["ceremony"] != "c" {
		t.Fatalf("begin: %d %q %v", status, cache, env)
	}
}

func TestFinish_PassesTheCredentialAsSentAndRefusesUnknownFields(t *testing.T) {
	f := &fake{login: passkeyport.LoginCompleted{MFA: &identityport.LoginChallenge{Token: "ch", ExpiresAt: t0, Factors: []string{"totp"}}}}
	status, env, _ := call(t, f, "POST", "/api/v1/auth/webauthn/login/finish", "", `{"ceremony":"c","credential":{"id":"AA","type":"public-key"}}`)
	if status != 200 || env["data"].(map[string]any)["mfa_required"] != true || string(f.finish.Credential) != `{"id":"AA","type":"public-key"}` || f.finish.Ceremony != "c" {
		t.Fatalf("finish: %d %v %+v", status, env, f.finish)
	}
	f.calls = nil
	if status, _, _ := call(t, f, "POST", "/api/v1/auth/webauthn/login/finish", "", `{"ceremony":"c","credential":{},"user":"admin"}`); status != 400 || len(f.calls) != 0 {
		t.Fatalf("unknown field: %d, calls %v", status, f.calls)
	}
}

func TestManage_ABadIDIsNotFoundAndARenameReachesTheService(t *testing.T) {
	f := &fake{}
	if status, env, _ := call(t, f, "PATCH", "/api/v1/users/me/mfa/webauthn/not-an-id", "good", `{"name":"x"}`); status != 404 ||
		env["error"].(map[string]any)["code"] != passkey.ErrNotFound.Code() {
		t.Fatalf("bad id: %d %v", status, env)
	}
	id := uuid.NewString()
	if status, _, _ := call(t, f, "PATCH", "/api/v1/users/me/mfa/webauthn/"+id, "good", `{"name":"Laptop"}`); status != 200 {
		t.Fatalf("rename: %d", status)
	}
	if status, _, _ := call(t, f, "DELETE", "/api/v1/users/me/mfa/webauthn/"+id, "good", ""); status != 200 {
		t.Fatalf("remove: %d", status)
	}
	if strings.Join(f.calls, ",") != "rename:Laptop,remove:"+id {
		t.Fatalf("calls %v", f.calls)
	}
}
