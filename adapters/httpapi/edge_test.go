package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/sessionsport"
)

type envelope struct {
	Version   string          `json:"version"`
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

type testServer struct {
	app  *fiber.App
	logs *bytes.Buffer
}

func newServer(t *testing.T, o httpapi.Options) *testServer {
	t.Helper()
	logs := &bytes.Buffer{}
	o.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	app := httpapi.New(o)
	type payload struct {
		Name  string `json:"name"`
		Count int    `json:"count"`
	}
	app.Post("/echo", func(c *fiber.Ctx) error {
		var p payload
		if err := httpapi.Decode(c, &p); err != nil {
			return err
		}
		return httpapi.OK(c, "echoed", p)
	})
	app.Get("/panic", func(c *fiber.Ctx) error { panic("secret internal state: password=hunter2") })
	app.Get("/fail", func(c *fiber.Ctx) error { return errors.New("pq: relation \"users\" does not exist") })
	app.Get("/typed/:kind", func(c *fiber.Ctx) error {
		switch c.Params("kind") {
		case "invalid":
			return shared.Invalid("x.invalid", "bad fields", map[string][]string{"email": {"is required"}})
		case "conflict":
			return shared.Conflict("x.taken", "already there")
		case "unauth":
			return shared.Unauthenticated("x.unauth", "who are you")
		case "forbidden":
			return shared.Forbidden("x.forbidden", "no")
		case "notfound":
			return shared.NotFound("x.missing", "nothing here")
		case "limited":
			return shared.RateLimited("x.limited", "slow down", 1500*time.Millisecond)
		case "unavailable":
			return shared.Unavailable("x.down", "try later")
		}
		return nil
	})
	app.Get("/ip", func(c *fiber.Ctx) error {
		return httpapi.OK(c, "ip", fiber.Map{"ip": httpapi.ClientIP(c), "meta": shared.RequestMetaFrom(c.UserContext()).ClientIP})
	})
	return &testServer{app: app, logs: logs}
}

func (s *testServer) do(t *testing.T, method, path, contentType, body string, headers ...string) (int, envelope, map[string]string) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := s.app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatalf("%s %s: not an envelope: %s", method, path, raw)
	}
	if env.Code != res.StatusCode || env.Version != "1.0" || env.RequestID == "" || env.RequestID != res.Header.Get("X-Request-ID") {
		t.Fatalf("%s %s: malformed envelope %s", method, path, raw)
	}
	h := map[string]string{}
	for k := range res.Header {
		h[k] = res.Header.Get(k)
	}
	return res.StatusCode, env, h
}

func TestDecode_AcceptsAWellFormedObject(t *testing.T) {
	s := newServer(t, httpapi.Options{})
	status, env, _ := s.do(t, "POST", "/echo", "application/json; charset=utf-8", `{"name":"a","count":2}`)
	if status != 200 || !env.Success || string(env.Data) != `{"name":"a","count":2}` {
		t.Fatalf("%d %+v %s", status, env, env.Data)
	}
}

func TestDecode_KeepsEveryCharacterExactly(t *testing.T) {
	s := newServer(t, httpapi.Options{})
	for body, want := range map[string]string{
		`{"name":"\ud83d\ude00 \u00e9\\ud800"}`: "\U0001F600 \u00e9\\ud800",
		`{"name":"ünïcødé ☃ \ufffd"}`:           "ünïcødé ☃ \ufffd",
	} {
		status, env, _ := s.do(t, "POST", "/echo", "application/json", body)
		var got struct{ Name string }
		if status != 200 || json.Unmarshal(env.Data, &got) != nil || got.Name != want {
			t.Errorf("%s: %d %s, want name %q", body, status, env.Data, want)
		}
	}
}

func TestDecode_RejectsBadBodiesWithTheRightEnvelope(t *testing.T) {
	s := newServer(t, httpapi.Options{})
	cases := []struct {
		name, contentType, body string
		status                  int
		typ, field              string
	}{
		{"malformed JSON", "application/json", `{"name":`, 400, "BAD_REQUEST", ""},
		{"not an object", "application/json", `[1,2]`, 400, "BAD_REQUEST", ""},
		{"two objects", "application/json", `{"name":"a"}{"name":"b"}`, 400, "BAD_REQUEST", ""},
		{"empty body", "application/json", ``, 400, "BAD_REQUEST", ""},
		{"unknown field", "application/json", `{"name":"a","is_admin":true}`, 400, "VALIDATION_ERROR", "is_admin"},
		{"wrong type", "application/json", `{"count":"many"}`, 400, "VALIDATION_ERROR", "count"},
		{"form body", "application/x-www-form-urlencoded", `name=a`, 415, "UNSUPPORTED_MEDIA_TYPE", ""},
		{"no content type", "", `{"name":"a"}`, 415, "UNSUPPORTED_MEDIA_TYPE", ""},
		{"invalid UTF-8", "application/json", "{\"name\":\"a\xff\xfeb\"}", 400, "BAD_REQUEST", ""},
		{"lone high surrogate", "application/json", `{"name":"\ud800"}`, 400, "BAD_REQUEST", ""},
		{"lone low surrogate", "application/json", `{"name":"a\udc00b"}`, 400, "BAD_REQUEST", ""},
		{"reversed surrogates", "application/json", `{"name":"\udc00\ud800"}`, 400, "BAD_REQUEST", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, env, _ := s.do(t, "POST", "/echo", tc.contentType, tc.body)
			if status != tc.status || env.Success || env.Error == nil || env.Error.Type != tc.typ {
				t.Fatalf("got %d %+v", status, env.Error)
			}
			if tc.field != "" && len(env.Error.Details[tc.field]) == 0 {
				t.Fatalf("details must name %q: %+v", tc.field, env.Error.Details)
			}
		})
	}
}

func TestErrorHandler_MapsEachKindToOneStatusAndType(t *testing.T) {
	s := newServer(t, httpapi.Options{})
	cases := []struct {
		kind   string
		status int
		typ    string
	}{
		{"invalid", 400, "VALIDATION_ERROR"},
		{"unauth", 401, "AUTHENTICATION_ERROR"},
		{"forbidden", 403, "AUTHORIZATION_ERROR"},
		{"notfound", 404, "NOT_FOUND"},
		{"conflict", 409, "CONFLICT"},
		{"limited", 429, "RATE_LIMIT_EXCEEDED"},
		{"unavailable", 503, "SERVICE_UNAVAILABLE"},
	}
	for _, tc := range cases {
		t.Run(tc.kind, func(t *testing.T) {
			status, env, h := s.do(t, "GET", "/typed/"+tc.kind, "", "")
			if status != tc.status || env.Error.Type != tc.typ || env.Error.Code == "" {
				t.Fatalf("got %d %+v", status, env.Error)
			}
			if tc.kind == "limited" && h["Retry-After"] != "2" {
				t.Fatalf("Retry-After = %q, want 2 (rounded up)", h["Retry-After"])
			}
			if tc.kind == "invalid" && env.Error.Details["email"][0] != "is required" {
				t.Fatalf("details = %+v", env.Error.Details)
			}
		})
	}
}

func TestErrorHandler_PanicsAndUnknownErrorsLeakNothing(t *testing.T) {
	s := newServer(t, httpapi.Options{})
	for _, path := range []string{"/panic", "/fail"} {
		status, env, _ := s.do(t, "GET", path, "", "")
		if status != 500 || env.Error.Type != "INTERNAL_ERROR" {
			t.Fatalf("%s: %d %+v", path, status, env.Error)
		}
		if strings.Contains(env.Message, "hunter2") || strings.Contains(env.Message, "relation") {
			t.Fatalf("%s leaked internals: %q", path, env.Message)
		}
		if !strings.Contains(s.logs.String(), env.RequestID) {
			t.Fatalf("%s: the log must carry the request id %s", path, env.RequestID)
		}
	}
	if !strings.Contains(s.logs.String(), "hunter2") {
		t.Fatal("the panic value belongs in the server log")
	}
}

func TestAccessLog_OneLinePerRequestWithTheRequiredFields(t *testing.T) {
	s := newServer(t, httpapi.Options{})
	_, env, _ := s.do(t, "GET", "/typed/notfound", "", "")
	var line map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s.logs.String()), "\n") {
		if strings.Contains(l, `"msg":"request"`) && strings.Contains(l, env.RequestID) {
			_ = json.Unmarshal([]byte(l), &line)
		}
	}
	if line == nil {
		t.Fatalf("no access log line for %s in\n%s", env.RequestID, s.logs)
	}
	for _, k := range []string{"method", "route", "status", "latency_ms", "request_id", "client_ip"} {
		if _, ok := line[k]; !ok {
			t.Errorf("access log lacks %q: %v", k, line)
		}
	}
	if line["route"] != "/typed/:kind" || line["status"] != float64(404) {
		t.Errorf("route/status = %v/%v", line["route"], line["status"])
	}
}

func TestClientIP_ComesFromTheSocketUnlessThePeerIsATrustedProxy(t *testing.T) {
	// app.Test connects from 0.0.0.0.
	untrusted := newServer(t, httpapi.Options{})
	_, env, _ := untrusted.do(t, "GET", "/ip", "", "", "X-Forwarded-For", "203.0.113.9")
	if strings.Contains(string(env.Data), "203.0.113.9") {
		t.Fatalf("X-Forwarded-For from an untrusted peer was believed: %s", env.Data)
	}
	proxies, err := httpapi.ParseTrustedProxies([]string{"0.0.0.0/8", "10.0.0.0/8"})
	if err != nil {
		t.Fatal(err)
	}
	trusted := newServer(t, httpapi.Options{TrustedProxies: proxies})
	_, env, _ = trusted.do(t, "GET", "/ip", "", "", "X-Forwarded-For", "198.51.100.7, 203.0.113.9, 10.1.2.3")
	if string(env.Data) != `{"ip":"203.0.113.9","meta":"203.0.113.9"}` {
		t.Fatalf("want the right-most untrusted hop, got %s", env.Data)
	}
	_, env, _ = trusted.do(t, "GET", "/ip", "", "", "X-Forwarded-For", "garbage")
	if strings.Contains(string(env.Data), "garbage") {
		t.Fatalf("an unparsable header must not become the client IP: %s", env.Data)
	}
}

func TestParseTrustedProxies_RejectsNonsense(t *testing.T) {
	if _, err := httpapi.ParseTrustedProxies([]string{"10.0.0.0/8", "not-an-ip"}); err == nil {
		t.Fatal("want an error")
	}
	got, err := httpapi.ParseTrustedProxies([]string{" 192.168.1.1 ", "", "::1"})
	if err != nil || len(got) != 2 || got[0] != netip.MustParsePrefix("192.168.1.1/32") {
		t.Fatalf("%v %v", got, err)
	}
}

type fakeAuth struct{ token string }

func (f fakeAuth) Authenticate(_ context.Context, token string) (sessionsport.Principal, error) {
	if token != f.token {
		return sessionsport.Principal{}, shared.Unauthenticated("auth.invalid_token", "invalid or expired token")
	}
	return sessionsport.Principal{UserID: shared.UserID(uuid.MustParse("11111111-2222-4333-8444-555555555555"))}, nil
}

func TestRequireAuth_AdmitsOnlyAValidBearerToken(t *testing.T) {
	s := newServer(t, httpapi.Options{})
	s.app.Get("/me", httpapi.RequireAuth(fakeAuth{token: "good"}), func(c *fiber.Ctx) error {
		return httpapi.OK(c, "me", fiber.Map{"user": httpapi.Principal(c).UserID.String()})
	})
	cases := []struct {
		name, header string
		status       int
	}{
		{"no header", "", 401},
		{"wrong scheme", "Basic good", 401},
		{"empty token", "Bearer ", 401},
		{"bad token", "Bearer nope", 401},
		{"good token", "Bearer good", 200},
		{"scheme is case-insensitive", "bearer good", 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var headers []string
			if tc.header != "" {
				headers = []string{"Authorization", tc.header}
			}
			status, env, _ := s.do(t, "GET", "/me", "", "", headers...)
			if status != tc.status {
				t.Fatalf("got %d %+v", status, env.Error)
			}
			if status == 401 && env.Error.Type != "AUTHENTICATION_ERROR" {
				t.Fatalf("type = %s", env.Error.Type)
			}
		})
	}
}
