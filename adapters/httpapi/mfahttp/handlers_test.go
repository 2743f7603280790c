package mfahttp_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/adapters/httpapi/mfahttp"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/mfaport"
	"github.com/secuird/authy/ports/sessionsport"
)

var alice = shared.UserID(uuid.New())

type authenticator struct{}

func (authenticator) Authenticate(_ context.Context, token string) (sessionsport.Principal, error) {
	if token == "alice" {
		return sessionsport.Principal{UserID: alice, SessionID: uuid.New(), ExpiresAt: time.Now().Add(time.Hour)}, nil
	}
	return sessionsport.Principal{}, shared.Unauthenticated("auth.invalid_token", "invalid or expired token")
}

// service records what the handlers asked.
type service struct {
	mu      sync.Mutex
	removed []mfaport.Proof
	logins  []mfaport.CompleteLoginCommand
}

func (s *service) StartTOTP(context.Context, sessionsport.Principal) (mfaport.TOTPEnrolment, error) {
	return mfaport.TOTPEnrolment{FactorID: uuid.New(), Secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", URI: "otpauth://totp/Authy:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"}, nil
}

func (s *service) ConfirmTOTP(context.Context, sessionsport.Principal, uuid.UUID, string) (mfaport.Confirmed, error) {
	return mfaport.Confirmed{Factor: mfaport.FactorView{ID: uuid.New(), Kind: "totp", Confirmed: true, CreatedAt: time.Now(), ConfirmedAt: time.Now()}}, nil
}

func (s *service) ListFactors(context.Context, sessionsport.Principal) (mfaport.Factors, error) {
	return mfaport.Factors{}, nil
}

func (s *service) RemoveFactor(_ context.Context, _ sessionsport.Principal, _ uuid.UUID, p mfaport.Proof) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removed = append(s.removed, p)
	return nil
}

func (s *service) RegenerateRecoveryCodes(context.Context, sessionsport.Principal, mfaport.Proof) ([]string, error) {
	return make([]string, 10), nil
}

func (s *service) VerifyFactor(context.Context, sessionsport.Principal, mfaport.Proof) (time.Time, error) {
	return time.Now().Add(5 * time.Minute), nil
}

func (s *service) CompleteLogin(_ context.Context, cmd mfaport.CompleteLoginCommand) (mfaport.LoginCompleted, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logins = append(s.logins, cmd)
	return mfaport.LoginCompleted{}, shared.Unauthenticated("mfa.challenge_invalid", "sign in again")
}

func newApp(s *service) *fiber.App {
	app := httpapi.New(httpapi.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	mfahttp.Register(app.Group("/api/v1"), s, authenticator{})
	return app
}

type envelope struct {
	Code  int `json:"code"`
	Error *struct {
		Type    string              `json:"type"`
		Code    string              `json:"code"`
		Details map[string][]string `json:"details"`
	} `json:"error"`
}

func call(t *testing.T, app *fiber.App, method, path, body string) envelope {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer alice")
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil || env.Code != res.StatusCode {
		t.Fatalf("%s %s: not an envelope: %s", method, path, raw)
	}
	return env
}

func TestRemove_WithoutABodyAsksForTheStepUpWindowAndWithOneCarriesTheCode(t *testing.T) {
	s := &service{}
	app := newApp(s)
	id := uuid.NewString()
	if env := call(t, app, "DELETE", "/api/v1/users/me/mfa/factors/"+id, ""); env.Code != 200 {
		t.Fatalf("without a body: %+v", env)
	}
	if env := call(t, app, "DELETE", "/api/v1/users/me/mfa/factors/"+id, `{"totp":"123456"}`); env.Code != 200 {
		t.Fatalf("with a code: %+v", env)
	}
	if len(s.removed) != 2 || !s.removed[0].Empty() || s.removed[1].TOTP != "123456" {
		t.Fatalf("proofs %+v", s.removed)
	}
	if env := call(t, app, "DELETE", "/api/v1/users/me/mfa/factors/not-a-uuid", ""); env.Code != 404 || env.Error.Code != "mfa.factor_not_found" {
		t.Fatalf("malformed id: %+v", env)
	}
}

func TestCompleteLogin_RefusesUnknownFieldsAndPassesTheCodeThrough(t *testing.T) {
	s := &service{}
	app := newApp(s)
	if env := call(t, app, "POST", "/api/v1/auth/login/mfa", `{"challenge":"c","totp":"1","admin":true}`); env.Code != 400 || env.Error.Type != "VALIDATION_ERROR" {
		t.Fatalf("unknown field: %+v", env)
	}
	if env := call(t, app, "POST", "/api/v1/auth/login/mfa", `{"challenge":"c","recovery_code":"abcde-fghij"}`); env.Code != 401 || env.Error.Code != "mfa.challenge_invalid" {
		t.Fatalf("refusal: %+v", env)
	}
	if len(s.logins) != 1 || s.logins[0].Challenge != "c" || s.logins[0].RecoveryCode != "abcde-fghij" {
		t.Fatalf("commands %+v", s.logins)
	}
}

func TestOpenAPI_FragmentDocumentsEveryRoute(t *testing.T) {
	doc := string(mfahttp.OpenAPI)
	for path, methods := range map[string][]string{
		"/api/v1/auth/login/mfa":                 {"post"},
		"/api/v1/users/me/mfa":                   {"get"},
		"/api/v1/users/me/mfa/totp":              {"post"},
		"/api/v1/users/me/mfa/totp/{id}/confirm": {"post"},
		"/api/v1/users/me/mfa/factors/{id}":      {"delete"},
		"/api/v1/users/me/mfa/recovery-codes":    {"post"},
		"/api/v1/users/me/mfa/verify":            {"post"},
	} {
		i := strings.Index(doc, "\n  "+path+":\n")
		if i < 0 {
			t.Errorf("%s is not documented", path)
			continue
		}
		block := doc[i+1:]
		if j := strings.Index(block[len(path)+4:], "\n  /"); j >= 0 {
			block = block[:len(path)+4+j]
		}
		for _, m := range methods {
			if !strings.Contains(block, "\n    "+m+":") {
				t.Errorf("%s %s is not documented", m, path)
			}
		}
	}
}
