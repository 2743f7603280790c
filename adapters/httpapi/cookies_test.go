package httpapi_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/sessionsport"
)

// testSigner is an HMAC-SHA256 signer with one key per purpose.
type testSigner struct{}

func (testSigner) Sign(purpose string, payload []byte) string {
	m := hmac.New(sha256.New, []byte("test key "+purpose))
	m.Write(payload)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s testSigner) Verify(purpose string, payload []byte, sig string) error {
	if !hmac.Equal([]byte(s.Sign(purpose, payload)), []byte(sig)) {
		return platformport.ErrSignatureInvalid
	}
	return nil
}

// tokenAuth knows two sessions, alice's and bob's.
type tokenAuth map[string]sessionsport.Principal

func (a tokenAuth) Authenticate(_ context.Context, token string) (sessionsport.Principal, error) {
	if p, ok := a[token]; ok {
		return p, nil
	}
	return sessionsport.Principal{}, shared.Unauthenticated("auth.invalid_token", "the session is invalid or has ended")
}

var (
	alice = sessionsport.Principal{UserID: shared.UserID(uuid.New()), SessionID: uuid.New()}
	bob   = sessionsport.Principal{UserID: shared.UserID(uuid.New()), SessionID: uuid.New()}
	auth  = tokenAuth{"alice-token": alice, "bob-token": bob}
)

func browser(t *testing.T, secure bool) *httpapi.Browser {
	t.Helper()
	b, err := httpapi.NewBrowser(httpapi.BrowserOptions{Signer: testSigner{}, Secure: secure,
		Now: func() time.Time { return time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// cookieApp mounts /api/v1 behind the cookie transport and /other without
// it; each route answers the caller and the transport it was marked with.
func cookieApp(t *testing.T, b *httpapi.Browser) *fiber.App {
	t.Helper()
	app := httpapi.New(httpapi.Options{})
	me := func(c *fiber.Ctx) error {
		return httpapi.OK(c, "me", fiber.Map{
			"user": httpapi.Principal(c).UserID.String(), "transport": string(sessionsport.TransportFrom(c.UserContext())),
		})
	}
	api := app.Group("/api/v1")
	api.Use(b.Middleware())
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		api.Add(m, "/me", httpapi.RequireAuth(auth), me)
	}
	app.Post("/other/me", httpapi.RequireAuth(auth), me)
	return app
}

type cookieAnswer struct {
	status    int
	code      string
	user      string
	transport string
	header    http.Header
}

func call(t *testing.T, app *fiber.App, method, path string, headers ...string) cookieAnswer {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	var env struct {
		Data struct {
			User      string `json:"user"`
			Transport string `json:"transport"`
		} `json:"data"`
		Error *struct {
			Type string `json:"type"`
			Code string `json:"code"`
		} `json:"error"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatalf("not an envelope: %s", raw)
	}
	a := cookieAnswer{status: res.StatusCode, user: env.Data.User, transport: env.Data.Transport, header: res.Header}
	if env.Error != nil {
		a.code = env.Error.Type + " " + env.Error.Code
	}
	return a
}

func TestCookieAuth_ASafeRequestWithTheSessionCookieNeedsNoCSRFToken(t *testing.T) {
	app := cookieApp(t, browser(t, false))
	a := call(t, app, "GET", "/api/v1/me", "Cookie", "authy_session=alice-token")
	if a.status != 200 || a.user != alice.UserID.String() || a.transport != "cookie" {
		t.Fatalf("%+v", a)
	}
}

func TestCookieAuth_AStateChangingRequestNeedsItsOwnSessionsCSRFToken(t *testing.T) {
	b := browser(t, false)
	app := cookieApp(t, b)
	for _, m := range []string{"POST", "PUT", "PATCH", "DELETE"} {
		for _, c := range []struct {
			name  string
			token string
		}{
			{"missing", ""},
			{"wrong", "not-a-token"},
			{"another session's", b.CSRFToken(bob.SessionID)},
			{"a pre-session form's", testSigner{}.Sign("sessions.login_csrf", alice.SessionID[:])},
		} {
			headers := []string{"Cookie", "authy_session=alice-token"}
			if c.token != "" {
				headers = append(headers, httpapi.HeaderCSRFToken, c.token)
			}
			if a := call(t, app, m, "/api/v1/me", headers...); a.status != 403 || a.code != "AUTHORIZATION_ERROR auth.csrf_invalid" {
				t.Errorf("%s with %s token: %+v", m, c.name, a)
			}
		}
		a := call(t, app, m, "/api/v1/me", "Cookie", "authy_session=alice-token", httpapi.HeaderCSRFToken, b.CSRFToken(alice.SessionID))
		if a.status != 200 || a.user != alice.UserID.String() {
			t.Errorf("%s with the session's token: %+v", m, a)
		}
	}
}

func TestCookieAuth_BearerRequestsNeedNoCSRFTokenAndWinOverTheCookie(t *testing.T) {
	app := cookieApp(t, browser(t, false))
	a := call(t, app, "POST", "/api/v1/me", "Authorization", "Bearer bob-token", "Cookie", "authy_session=alice-token")
	if a.status != 200 || a.user != bob.UserID.String() || a.transport != "" {
		t.Fatalf("bearer: %+v", a)
	}
	// An Authorization header that does not authenticate is not rescued
	// by the cookie.
	for _, h := range []string{"Bearer unknown", "Basic YWxpY2U6cHc=", "Bearer"} {
		if a := call(t, app, "GET", "/api/v1/me", "Authorization", h, "Cookie", "authy_session=alice-token"); a.status != 401 {
			t.Errorf("Authorization %q with a valid cookie: %+v", h, a)
		}
	}
}

func TestCookieAuth_OnlyRoutesBelowTheTransportAcceptTheCookie(t *testing.T) {
	app := cookieApp(t, browser(t, false))
	if a := call(t, app, "POST", "/other/me", "Cookie", "authy_session=alice-token"); a.status != 401 {
		t.Fatalf("%+v", a)
	}
	if a := call(t, app, "GET", "/api/v1/me", "Cookie", "authy_session=unknown"); a.status != 401 || a.code != "AUTHENTICATION_ERROR auth.invalid_token" {
		t.Fatalf("unknown cookie: %+v", a)
	}
	// With https the cookie is only read under its __Host- name.
	secure := cookieApp(t, browser(t, true))
	if a := call(t, secure, "GET", "/api/v1/me", "Cookie", "authy_session=alice-token"); a.status != 401 {
		t.Fatalf("unprefixed cookie on https: %+v", a)
	}
	if a := call(t, secure, "GET", "/api/v1/me", "Cookie", "__Host-authy_session=alice-token"); a.status != 200 {
		t.Fatalf("prefixed cookie on https: %+v", a)
	}
}

// setCookies runs f in a request and returns the Set-Cookie headers sent.
func setCookies(t *testing.T, f func(c *fiber.Ctx) error, headers ...string) []string {
	t.Helper()
	app := fiber.New()
	app.Get("/", f)
	req := httptest.NewRequest("GET", "/", nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	return res.Header.Values("Set-Cookie")
}

func TestBrowser_TheSessionCookieIsHttpOnlyLaxAndSecureWithTheHostPrefixOnHTTPS(t *testing.T) {
	expires := time.Date(2025, 3, 1, 17, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		secure bool
		want   []string
		absent []string
	}{
		{false, []string{"authy_session=tok;", "path=/", "HttpOnly", "SameSite=Lax", "expires=Sat, 01 Mar 2025 17:00:00 GMT"}, []string{"secure", "domain", "__Host-"}},
		{true, []string{"__Host-authy_session=tok;", "path=/", "HttpOnly", "SameSite=Lax", "secure"}, []string{"domain"}},
	} {
		b := browser(t, c.secure)
		got := setCookies(t, func(ctx *fiber.Ctx) error { b.SetSession(ctx, "tok", expires); return nil })
		if len(got) != 1 {
			t.Fatalf("cookies %v", got)
		}
		for _, w := range c.want {
			if !strings.Contains(got[0], w) {
				t.Errorf("secure=%v: %q lacks %q", c.secure, got[0], w)
			}
		}
		for _, w := range c.absent {
			if strings.Contains(strings.ToLower(got[0]), strings.ToLower(w)) {
				t.Errorf("secure=%v: %q has %q", c.secure, got[0], w)
			}
		}
		cleared := setCookies(t, func(ctx *fiber.Ctx) error { b.ClearSession(ctx); return nil })
		if len(cleared) != 1 || !strings.HasPrefix(cleared[0], b.SessionCookieName()+"=;") ||
			!strings.Contains(cleared[0], "expires=Thu, 01 Jan 1970") || (c.secure && !strings.Contains(cleared[0], "secure")) {
			t.Errorf("secure=%v: clearing sends %v", c.secure, cleared)
		}
	}
}

func TestBrowser_APreSessionFormIsBoundToTheBrowsersOwnCookie(t *testing.T) {
	b := browser(t, false)
	var token string
	got := setCookies(t, func(c *fiber.Ctx) error {
		var err error
		token, err = b.LoginCSRF(c)
		return err
	})
	if len(got) != 1 || !strings.HasPrefix(got[0], "authy_csrf=") || !strings.Contains(got[0], "HttpOnly") || !strings.Contains(got[0], "SameSite=Lax") {
		t.Fatalf("pre-session cookie %v", got)
	}
	nonce := strings.TrimPrefix(strings.SplitN(got[0], ";", 2)[0], "authy_csrf=")
	check := func(cookie, tok string) error {
		var err error
		setCookies(t, func(c *fiber.Ctx) error { err = b.CheckLoginCSRF(c, tok); return nil }, "Cookie", cookie)
		return err
	}
	if err := check("authy_csrf="+nonce, token); err != nil {
		t.Fatalf("the browser's own form: %v", err)
	}
	for name, c := range map[string][2]string{
		"no cookie":              {"x=y", token},
		"another browser's":      {"authy_csrf=" + strings.Repeat("A", 43), token},
		"no token":               {"authy_csrf=" + nonce, ""},
		"a session's CSRF token": {"authy_csrf=" + nonce, testSigner{}.Sign("sessions.csrf", []byte(nonce))},
	} {
		if err := check(c[0], c[1]); !errors.Is(err, httpapi.ErrCSRF) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A browser that has the cookie keeps it: two tabs, two valid forms.
	again := setCookies(t, func(c *fiber.Ctx) error {
		t2, err := b.LoginCSRF(c)
		if t2 != token {
			t.Errorf("a second form for the same cookie got another token")
		}
		return err
	}, "Cookie", "authy_csrf="+nonce)
	if len(again) != 0 {
		t.Fatalf("the cookie was replaced: %v", again)
	}
}
