package contacthttp_test

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

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/adapters/httpapi/apidocs/apidocstest"
	"github.com/secuird/authy/adapters/httpapi/contacthttp"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/contactport"
)

// service is a fake contactport.Service that records its calls.
type service struct {
	mu    sync.Mutex
	calls []contactport.SubmitEnquiry
	ips   []string
	err   error
}

func (s *service) Submit(ctx context.Context, cmd contactport.SubmitEnquiry) (contactport.EnquiryReceipt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, cmd)
	s.ips = append(s.ips, shared.RequestMetaFrom(ctx).ClientIP)
	if s.err != nil {
		return contactport.EnquiryReceipt{}, s.err
	}
	return contactport.EnquiryReceipt{
		ID: "5f0c7d1e-2b3a-4c5d-8e9f-0a1b2c3d4e5f", Type: cmd.Type,
		ReceivedAt: time.Date(2025, 5, 6, 9, 0, 0, 0, time.UTC),
	}, nil
}

// fragment validates responses against this context's OpenAPI fragment
// merged into the base document.
var fragment = sync.OnceValues(func() (*apidocstest.Validator, error) {
	return apidocstest.ForFragments(contacthttp.OpenAPI)
})

func newApp(t *testing.T, svc contactport.Service) *fiber.App {
	t.Helper()
	// app.Test connects from 0.0.0.0; trusting it as a proxy lets the tests
	// set the client address with X-Forwarded-For.
	proxies, err := httpapi.ParseTrustedProxies([]string{"0.0.0.0/32"})
	if err != nil {
		t.Fatal(err)
	}
	app := httpapi.New(httpapi.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), TrustedProxies: proxies})
	contacthttp.Register(app.Group("/api/v1"), svc)
	return app
}

type response struct {
	status int
	header http.Header
	body   []byte
	env    struct {
		Code  int             `json:"code"`
		Data  json.RawMessage `json:"data"`
		Error *struct {
			Type    string              `json:"type"`
			Code    string              `json:"code"`
			Details map[string][]string `json:"details"`
		} `json:"error"`
	}
}

func post(t *testing.T, app *fiber.App, body, contentType string, headers map[string]string) response {
	t.Helper()
	req := httptest.NewRequest("POST", "/api/v1/contact", strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out := response{status: res.StatusCode, header: res.Header}
	out.body, _ = io.ReadAll(res.Body)
	if err := json.Unmarshal(out.body, &out.env); err != nil || out.env.Code != out.status {
		t.Fatalf("not an envelope: %s", out.body)
	}
	validate(t, []byte(body), res, out.body)
	return out
}

func validate(t *testing.T, payload []byte, res *http.Response, body []byte) {
	t.Helper()
	v, err := fragment()
	if err != nil {
		t.Fatalf("OpenAPI fragment: %v", err)
	}
	if err := v.Check(httptest.NewRequest("POST", "http://localhost/api/v1/contact", bytes.NewReader(payload)), res.StatusCode, res.Header, body); err != nil {
		t.Errorf("%v\n%s", err, body)
	}
}

const valid = `{"type":"sales","name":"Ada","email":"ada@example.com","company":null,"message":"Hi"}`

func TestSubmit_AnswersAcceptedWithTheEnquiryID(t *testing.T) {
	svc := &service{}
	res := post(t, newApp(t, svc), valid, "application/json", map[string]string{"X-Forwarded-For": "203.0.113.9"})
	if res.status != http.StatusAccepted {
		t.Fatalf("status %d %s", res.status, res.body)
	}
	var data map[string]any
	if err := json.Unmarshal(res.env.Data, &data); err != nil {
		t.Fatal(err)
	}
	if data["id"] != "5f0c7d1e-2b3a-4c5d-8e9f-0a1b2c3d4e5f" || data["type"] != "sales" || data["status"] != "received" || data["received_at"] != "2025-05-06T09:00:00Z" {
		t.Fatalf("data %v", data)
	}
	want := contactport.SubmitEnquiry{Type: "sales", Name: "Ada", Email: "ada@example.com", Message: "Hi"}
	if len(svc.calls) != 1 || svc.calls[0] != want {
		t.Fatalf("calls %+v", svc.calls)
	}
	if svc.ips[0] != "203.0.113.9" {
		t.Fatalf("the client IP from the trusted-proxy rule must reach the service, got %q", svc.ips[0])
	}
}

func TestSubmit_PassesOptionalFieldsThrough(t *testing.T) {
	svc := &service{}
	body := `{"type":"demo","name":"Ada","email":"ada@example.com","company":"Engines","phone":"+44 1234 5678","message":"Hi"}`
	if res := post(t, newApp(t, svc), body, "application/json", nil); res.status != http.StatusAccepted {
		t.Fatalf("status %d %s", res.status, res.body)
	}
	if svc.calls[0].Company != "Engines" || svc.calls[0].Phone != "+44 1234 5678" {
		t.Fatalf("call %+v", svc.calls[0])
	}
}

func TestSubmit_MapsServiceErrorsToTheEnvelope(t *testing.T) {
	cases := []struct {
		name       string
		err        error
		status     int
		typ, field string
	}{
		{"validation", shared.Invalid("contact.invalid_enquiry", "the request has invalid fields", map[string][]string{"name": {"must be a single line without control characters"}}), 400, "VALIDATION_ERROR", "name"},
		{"rate limit", shared.RateLimited("contact.rate_limited", "slow down", 119500*time.Millisecond), 429, "RATE_LIMIT_EXCEEDED", ""},
		{"limiter down", shared.Unavailable("contact.unavailable", "later"), 503, "SERVICE_UNAVAILABLE", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := post(t, newApp(t, &service{err: tc.err}), valid, "application/json", nil)
			if res.status != tc.status || res.env.Error == nil || res.env.Error.Type != tc.typ {
				t.Fatalf("got %d %s", res.status, res.body)
			}
			if tc.field != "" && len(res.env.Error.Details[tc.field]) == 0 {
				t.Fatalf("details must name %s: %s", tc.field, res.body)
			}
			if tc.status == 429 && res.header.Get("Retry-After") != "120" {
				t.Fatalf("Retry-After %q, want 120", res.header.Get("Retry-After"))
			}
		})
	}
}

func TestSubmit_RefusesUnreadableBodiesWithoutCallingTheService(t *testing.T) {
	cases := []struct {
		name, body, contentType string
		status                  int
		typ, field              string
	}{
		{"unknown field", `{"type":"demo","name":"A","email":"a@example.com","message":"m","admin":true}`, "application/json", 400, "VALIDATION_ERROR", "admin"},
		{"wrong type", `{"type":"demo","name":42,"email":"a@example.com","message":"m"}`, "application/json", 400, "VALIDATION_ERROR", "name"},
		{"malformed", `{"type":`, "application/json", 400, "BAD_REQUEST", ""},
		{"not JSON", `type=demo`, "application/x-www-form-urlencoded", 415, "UNSUPPORTED_MEDIA_TYPE", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			svc := &service{}
			res := post(t, newApp(t, svc), tc.body, tc.contentType, nil)
			if res.status != tc.status || res.env.Error == nil || res.env.Error.Type != tc.typ {
				t.Fatalf("got %d %s", res.status, res.body)
			}
			if tc.field != "" && len(res.env.Error.Details[tc.field]) == 0 {
				t.Fatalf("details must name %s: %s", tc.field, res.body)
			}
			if len(svc.calls) != 0 {
				t.Fatal("the service must not be called")
			}
		})
	}
}

func TestRegister_NeedsNoAuthentication(t *testing.T) {
	svc := &service{}
	res := post(t, newApp(t, svc), valid, "application/json", map[string]string{"Authorization": "Bearer whatever"})
	if res.status != http.StatusAccepted {
		t.Fatalf("status %d", res.status)
	}
}
