package oauthhttp_test

import (
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
	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/adapters/httpapi/apidocs"
	"github.com/secuird/authy/adapters/httpapi/apidocs/apidocstest"
	"github.com/secuird/authy/adapters/httpapi/oauthhttp"
	"github.com/secuird/authy/domain/oauth"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/oauthport"
	"github.com/secuird/authy/ports/sessionsport"
)

var (
	alice = shared.UserID(uuid.MustParse("11111111-1111-4111-8111-111111111111"))
	org   = shared.OrganizationID(uuid.MustParse("22222222-2222-4222-8222-222222222222"))
	t0    = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

type authenticator struct{}

func (authenticator) Authenticate(_ context.Context, token string) (sessionsport.Principal, error) {
	if token == "alice" {
		return sessionsport.Principal{UserID: alice, SessionID: uuid.New(), ExpiresAt: time.Now().Add(time.Hour)}, nil
	}
	return sessionsport.Principal{}, shared.Unauthenticated("auth.invalid_token", "invalid or expired token")
}

// clients is a fake oauthport.Clients that records commands and answers
// with a fixed view or error.
type clients struct {
	mu      sync.Mutex
	create  []oauthport.CreateClientCommand
	update  []oauthport.UpdateClientCommand
	page    oauthport.Page
	err     error
	secret  string
	deleted []string
}

func sampleView() oauthport.ClientView {
	exp := t0.Add(24 * time.Hour)
	return oauthport.ClientView{
		ClientID: "0123456789abcdef0123456789abcdef", Organization: org, Name: "Acme Portal",
		RedirectURIs: []string{"https://portal.example.com/cb"}, GrantTypes: []string{"authorization_code", "refresh_token"},
		TokenEndpointAuthMethod: "client_secret_basic", Scopes: []string{"openid"}, AccessTokenFormat: "opaque", IDTokenSignedResponseAlg: "RS256",
		PreviousSecretExpiresAt: &exp, CreatedAt: t0, UpdatedAt: t0,
	}
}

func (f *clients) Create(_ context.Context, cmd oauthport.CreateClientCommand) (oauthport.CreatedClient, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.create = append(f.create, cmd)
	if f.err != nil {
		return oauthport.CreatedClient{}, f.err
	}
	v := sampleView()
	v.PreviousSecretExpiresAt = nil
	return oauthport.CreatedClient{ClientView: v, Secret: f.secret}, nil
}

func (f *clients) List(_ context.Context, _ shared.UserID, _ shared.OrganizationID, p oauthport.Page) (oauthport.ClientPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.page = p
	return oauthport.ClientPage{Items: []oauthport.ClientView{sampleView()}, Limit: 1, NextCursor: "next"}, f.err
}

func (f *clients) Get(context.Context, shared.UserID, shared.OrganizationID, string) (oauthport.ClientView, error) {
	return sampleView(), f.err
}

func (f *clients) Update(_ context.Context, cmd oauthport.UpdateClientCommand) (oauthport.ClientView, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.update = append(f.update, cmd)
	return sampleView(), f.err
}

func (f *clients) Delete(_ context.Context, _ shared.UserID, _ shared.OrganizationID, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted = append(f.deleted, id)
	return f.err
}

func (f *clients) RotateSecret(context.Context, shared.UserID, shared.OrganizationID, string) (oauthport.RotatedSecret, error) {
	exp := t0.Add(24 * time.Hour)
	return oauthport.RotatedSecret{ClientID: "0123456789abcdef0123456789abcdef", Secret: "new-secret", PreviousSecretExpiresAt: &exp}, f.err
}

var fragment = sync.OnceValues(func() (*apidocstest.Validator, error) {
	return apidocstest.ForFragments(oauthhttp.OpenAPI)
})

func newApp(f *clients) *fiber.App { return newAppWith(f, stepUp{}) }

func newAppWith(f *clients, s stepUp) *fiber.App {
	app := httpapi.New(httpapi.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	oauthhttp.Register(app.Group("/api/v1"), f, authenticator{}, s)
	return app
}

// stepUp admits every session, or none when stale.
type stepUp struct{ stale bool }

func (s stepUp) RequireRecent(context.Context, sessionsport.Principal, bool) error {
	if s.stale {
		return shared.Forbidden("mfa.step_up_required", "sign in again")
	}
	return nil
}

func TestRotateSecret_NeedsARecentSignIn(t *testing.T) {
	app := newAppWith(&clients{}, stepUp{stale: true})
	res, env := call(t, app, "POST", "/api/v1/organizations/"+uuid.NewString()+"/oauth-clients/0123456789abcdef0123456789abcdef/secret", "")
	if res.StatusCode != 403 || env.Error == nil || env.Error.Code != "mfa.step_up_required" || strings.Contains(string(env.Data), "new-secret") {
		t.Fatalf("stale rotation: %d %+v %s", res.StatusCode, env.Error, env.Data)
	}
}

type envelope struct {
	Code  int             `json:"code"`
	Data  json.RawMessage `json:"data"`
	Error *struct {
		Type    string              `json:"type"`
		Code    string              `json:"code"`
		Details map[string][]string `json:"details"`
	} `json:"error"`
}

func call(t *testing.T, app *fiber.App, method, path, body string) (*http.Response, envelope) {
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
	v, err := fragment()
	if err != nil {
		t.Fatal(err)
	}
	vreq := httptest.NewRequest(method, "http://localhost"+path, strings.NewReader(body))
	if body != "" {
		vreq.Header.Set("Content-Type", "application/json")
	}
	if err := v.Check(vreq, res.StatusCode, res.Header, raw); err != nil {
		t.Errorf("%v\n%s", err, raw)
	}
	return res, env
}

const base = "/api/v1/organizations/22222222-2222-4222-8222-222222222222/oauth-clients"

func TestCreate_PassesTheFieldsAndShowsTheSecretOnceUncached(t *testing.T) {
	f := &clients{secret: "s3cret"}
	res, env := call(t, newApp(f), "POST", base,
		`{"name":"Acme Portal","redirect_uris":["https://portal.example.com/cb"],"grant_types":["authorization_code","refresh_token"],"resource_server":true}`)
	if res.StatusCode != 201 || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("status %d, Cache-Control %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	var data struct {
		ClientID     string  `json:"client_id"`
		ClientSecret *string `json:"client_secret"`
	}
	_ = json.Unmarshal(env.Data, &data)
	if data.ClientSecret == nil || *data.ClientSecret != "s3cret" {
		t.Fatalf("data %s", env.Data)
	}
	cmd := f.create[0]
	if cmd.Actor != alice || cmd.Organization != org || !cmd.ResourceServer || cmd.Scopes != nil || len(cmd.GrantTypes) != 2 {
		t.Fatalf("command %+v", cmd)
	}
}

func TestCreate_APublicClientsSecretIsNull(t *testing.T) {
	_, env := call(t, newApp(&clients{}), "POST", base, `{"name":"SPA","grant_types":["authorization_code"],"token_endpoint_auth_method":"none"}`)
	if !strings.Contains(string(env.Data), `"client_secret":null`) {
		t.Fatalf("data %s", env.Data)
	}
}

func TestCreate_UnknownOrMistypedFieldsAre400(t *testing.T) {
	for _, body := range []string{`{"name":"x","grant_types":"client_credentials"}`, `{"name":"x","client_secret":"mine"}`, `{`} {
		res, _ := call(t, newApp(&clients{}), "POST", base, body)
		if res.StatusCode != 400 {
			t.Errorf("%s: status %d", body, res.StatusCode)
		}
	}
}

func TestRoutes_AnswerTheApplicationsErrorsInTheEnvelope(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		code   string
	}{
		{oauth.ErrForbidden, 403, "oauth.forbidden"},
		{oauth.ErrOrganizationNotFound, 404, "organizations.not_found"},
		{oauth.ErrClientNotFound, 404, "oauth.client_not_found"},
		{shared.Invalid(oauth.CodeInvalid, "invalid", map[string][]string{"redirect_uris": {"must use https"}}), 400, oauth.CodeInvalid},
	} {
		res, env := call(t, newApp(&clients{err: tc.err}), "POST", base, `{"name":"x","grant_types":["client_credentials"]}`)
		if res.StatusCode != tc.status || env.Error == nil || env.Error.Code != tc.code {
			t.Errorf("%v: status %d %+v", tc.err, res.StatusCode, env.Error)
		}
	}
	res, _ := call(t, newApp(&clients{}), "GET", "/api/v1/organizations/not-a-uuid/oauth-clients", "")
	if res.StatusCode != 404 {
		t.Fatalf("malformed organization id: %d", res.StatusCode)
	}
}

func TestListGetPatchDeleteAndRotate_MapTheirResults(t *testing.T) {
	f := &clients{}
	app := newApp(f)
	if res, _ := call(t, app, "GET", base+"?limit=1&cursor=abc", ""); res.StatusCode != 200 || f.page.Limit != 1 || f.page.Cursor != "abc" {
		t.Fatalf("list: %d %+v", res.StatusCode, f.page)
	}
	id := "/0123456789abcdef0123456789abcdef"
	if res, _ := call(t, app, "GET", base+id, ""); res.StatusCode != 200 {
		t.Fatalf("get: %d", res.StatusCode)
	}
	if res, _ := call(t, app, "PATCH", base+id, `{"scopes":[],"first_party":true}`); res.StatusCode != 200 {
		t.Fatalf("patch: %d", res.StatusCode)
	}
	if u := f.update[0]; u.Scopes == nil || len(*u.Scopes) != 0 || u.FirstParty == nil || !*u.FirstParty || u.Name != nil {
		t.Fatalf("patch command %+v", u)
	}
	if res, _ := call(t, app, "DELETE", base+id, ""); res.StatusCode != 200 || f.deleted[0] != id[1:] {
		t.Fatalf("delete: %d %v", res.StatusCode, f.deleted)
	}
	res, env := call(t, app, "POST", base+id+"/secret", "")
	if res.StatusCode != 200 || res.Header.Get("Cache-Control") != "no-store" || !strings.Contains(string(env.Data), `"client_secret":"new-secret"`) {
		t.Fatalf("rotate: %d %s", res.StatusCode, env.Data)
	}
}

func TestOpenAPI_FragmentDocumentsEveryAdminRoute(t *testing.T) {
	doc, err := apidocs.Build(oauthhttp.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	ops := strings.Join(doc.Operations(), "\n")
	for _, want := range []string{
		"POST /api/v1/organizations/{id}/oauth-clients", "GET /api/v1/organizations/{id}/oauth-clients",
		"GET /api/v1/organizations/{id}/oauth-clients/{clientId}", "PATCH /api/v1/organizations/{id}/oauth-clients/{clientId}",
		"DELETE /api/v1/organizations/{id}/oauth-clients/{clientId}", "POST /api/v1/organizations/{id}/oauth-clients/{clientId}/secret",
	} {
		if !strings.Contains(ops, want) {
			t.Errorf("%s is not documented", want)
		}
	}
}
