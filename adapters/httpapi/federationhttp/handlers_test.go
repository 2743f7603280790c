package federationhttp_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/adapters/httpapi/apidocs"
	"github.com/secuird/authy/adapters/httpapi/apidocs/apidocstest"
	"github.com/secuird/authy/adapters/httpapi/federationhttp"
	"github.com/secuird/authy/adapters/httpapi/pageshttp"
	"github.com/secuird/authy/domain/federation"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/federationport"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/sessionsport"
)

type signer struct{}

func (signer) Sign(purpose string, payload []byte) string {
	m := hmac.New(sha256.New, []byte("k "+purpose))
	m.Write(payload)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s signer) Verify(purpose string, payload []byte, sig string) error {
	if !hmac.Equal([]byte(s.Sign(purpose, payload)), []byte(sig)) {
		return platformport.ErrSignatureInvalid
	}
	return nil
}

const bobToken = "bob-token"

var bob = sessionsport.Principal{UserID: shared.UserID(uuid.New()), SessionID: uuid.New(), AuthTime: time.Now()}

// fake records what the routes ask and answers what a test set.
type fake struct {
	begins    []federationport.BeginCommand
	callbacks []federationport.CallbackCommand
	complete  federationport.Completion
	err       error
	logouts   int
}

func (f *fake) Providers(context.Context) []federationport.ProviderView {
	return []federationport.ProviderView{{Name: "google", DisplayName: "Google", Kind: "google"}}
}

func (f *fake) BeginSignIn(_ context.Context, cmd federationport.BeginCommand) (federationport.Begun, error) {
	f.begins = append(f.begins, cmd)
	if f.err != nil {
		return federationport.Begun{}, f.err
	}
	return federationport.Begun{AuthorizationURL: "https://idp.example/authorize?state=s", ExpiresAt: time.Now()}, nil
}

func (f *fake) BeginLink(_ context.Context, _ sessionsport.Principal, cmd federationport.BeginCommand) (federationport.Begun, error) {
	f.begins = append(f.begins, cmd)
	if f.err != nil {
		return federationport.Begun{}, f.err
	}
	return federationport.Begun{AuthorizationURL: "https://idp.example/authorize?state=l", ExpiresAt: time.Now()}, nil
}

func (f *fake) Complete(_ context.Context, cmd federationport.CallbackCommand) (federationport.Completion, error) {
	f.callbacks = append(f.callbacks, cmd)
	return f.complete, f.err
}

func (f *fake) Exchange(_ context.Context, code string) (federationport.ExchangeResult, error) {
	if code != "good" {
		return federationport.ExchangeResult{}, federation.ErrLoginCodeInvalid
	}
	m, _ := sessionsport.ParseAuthMethod("social:google", []string{"fed"})
	return federationport.ExchangeResult{
		Session: sessionsport.IssuedSession{Token: "new-token", Session: sessionsport.SessionView{ID: uuid.New(), Method: m,
			CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour), AbsoluteExpiresAt: time.Now().Add(8 * time.Hour)}},
		User: identityport.UserSummary{ID: bob.UserID, Email: "bob@example.com", EmailVerified: true, Name: "Bob"},
	}, nil
}

func (f *fake) ListIdentities(context.Context, sessionsport.Principal) ([]federationport.IdentityView, error) {
	return []federationport.IdentityView{{ID: uuid.New(), Provider: "google", Subject: "g-1", Email: "bob@example.com",
		EmailVerified: true, CreatedAt: time.Now(), LastSignInAt: time.Now()}}, nil
}

func (f *fake) Unlink(context.Context, sessionsport.Principal, uuid.UUID) error { return f.err }

func (f *fake) Authenticate(_ context.Context, token string) (sessionsport.Principal, error) {
	if token == bobToken {
		return bob, nil
	}
	return sessionsport.Principal{}, shared.Unauthenticated("auth.invalid_token", "invalid")
}

func (f *fake) Logout(context.Context, sessionsport.Principal) error { f.logouts++; return nil }

type env struct {
	fake      *fake
	app       http.Handler
	validator *apidocstest.Validator
	test      func(*http.Request) *http.Response
}

func newEnv(t *testing.T) *env {
	t.Helper()
	f := &fake{}
	b, err := httpapi.NewBrowser(httpapi.BrowserOptions{Signer: signer{}})
	if err != nil {
		t.Fatal(err)
	}
	returns, err := pageshttp.NewReturnPolicy("http://auth.test", []string{"https://app.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	app := httpapi.New(httpapi.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	api := app.Group("/api/v1")
	api.Use(b.Middleware())
	if err := federationhttp.Register(api, federationhttp.Deps{Service: f, Sessions: f, Browser: b, Returns: returns}); err != nil {
		t.Fatal(err)
	}
	v, err := apidocstest.ForFragments(federationhttp.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	return &env{fake: f, validator: v, test: func(r *http.Request) *http.Response {
		res, err := app.Test(r, -1)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}}
}

// do sends a request, checks the answer against the fragment and returns
// it with its body.
func (e *env) do(t *testing.T, method, target, body string, cookies ...*http.Cookie) (*http.Response, string) {
	t.Helper()
	newReq := func() *http.Request {
		var r io.Reader
		if body != "" {
			r = strings.NewReader(body)
		}
		req := httptest.NewRequest(method, target, r)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for _, c := range cookies {
			req.AddCookie(c)
		}
		if strings.HasPrefix(target, "/api/v1/users/") {
			req.Header.Set("Authorization", "Bearer "+bobToken)
		}
		return req
	}
	res := e.test(newReq())
	raw, _ := io.ReadAll(res.Body)
	if err := e.validator.Check(newReq(), res.StatusCode, res.Header, raw); err != nil {
		t.Errorf("%s %s: answer differs from the OpenAPI fragment: %v", method, target, err)
	}
	return res, string(raw)
}

func cookie(res *http.Response, name string) *http.Cookie {
	for _, c := range res.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestProviders_ListsTheEnabledProviders(t *testing.T) {
	e := newEnv(t)
	res, body := e.do(t, "GET", "/api/v1/auth/providers", "")
	if res.StatusCode != 200 || !strings.Contains(body, `{"name":"google","display_name":"Google","kind":"google"}`) {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
}

func TestStart_BindsTheBrowserAndRedirectsToTheProvider(t *testing.T) {
	e := newEnv(t)
	res, _ := e.do(t, "GET", "/api/v1/auth/external/google?return_to="+url.QueryEscape("/account"), "")
	if res.StatusCode != 303 || res.Header.Get("Location") != "https://idp.example/authorize?state=s" {
		t.Fatalf("%d %s", res.StatusCode, res.Header.Get("Location"))
	}
	c := cookie(res, federationhttp.BindingCookie)
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || len(c.Value) != 43 {
		t.Fatalf("binding cookie %+v", c)
	}
	got := e.fake.begins[0]
	if got.Binding != c.Value || got.ReturnTo != "/account" || got.Delivery != shared.DeliverCookie || got.Provider != "google" {
		t.Fatalf("begin %+v", got)
	}
	// The same browser keeps its binding for a second flow.
	e.do(t, "GET", "/api/v1/auth/external/google", "", c)
	if e.fake.begins[1].Binding != c.Value {
		t.Fatal("a second flow in the same browser got another binding")
	}
}

func TestStart_ARegisteredOtherOriginGetsALoginCodeAndARefusedTargetIsDropped(t *testing.T) {
	e := newEnv(t)
	e.do(t, "GET", "/api/v1/auth/external/google?return_to="+url.QueryEscape("https://app.example.com/cb"), "")
	if got := e.fake.begins[0]; got.Delivery != shared.DeliverCode || got.ReturnTo != "https://app.example.com/cb" {
		t.Fatalf("begin %+v", got)
	}
	e.do(t, "GET", "/api/v1/auth/external/google?return_to="+url.QueryEscape("https://evil.example/"), "")
	if got := e.fake.begins[1]; got.ReturnTo != "" || got.Delivery != shared.DeliverCookie {
		t.Fatalf("begin %+v", got)
	}
}

func TestStart_AnUnknownProviderGoesBackToTheSignInPage(t *testing.T) {
	e := newEnv(t)
	e.fake.err = federation.ErrUnknownProvider
	res, _ := e.do(t, "GET", "/api/v1/auth/external/nope?return_to=%2Faccount", "")
	if res.StatusCode != 303 || res.Header.Get("Location") != "/login?error=federation.unknown_provider&return_to=%2Faccount" {
		t.Fatalf("%d %s", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestCallback_SignsInWithTheCookieAndEndsTheEarlierSession(t *testing.T) {
	e := newEnv(t)
	e.fake.complete = federationport.Completion{Outcome: federationport.OutcomeSignedIn, ReturnTo: "/account?x=1", Delivery: shared.DeliverCookie,
		Session: sessionsport.IssuedSession{Token: "fresh", Session: sessionsport.SessionView{AbsoluteExpiresAt: time.Now().Add(time.Hour)}}}
	binding := &http.Cookie{Name: federationhttp.BindingCookie, Value: strings.Repeat("a", 43)}
	old := &http.Cookie{Name: httpapi.SessionCookie, Value: bobToken}
	res, _ := e.do(t, "GET", "/api/v1/auth/external/google/callback?state=st&code=co", "", binding, old)
	if res.StatusCode != 303 || res.Header.Get("Location") != "/account?x=1" {
		t.Fatalf("%d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if c := cookie(res, httpapi.SessionCookie); c == nil || c.Value != "fresh" {
		t.Fatalf("session cookie %+v", c)
	}
	if e.fake.logouts != 1 {
		t.Fatal("the earlier session was not ended")
	}
	got := e.fake.callbacks[0]
	if got.State != "st" || got.Code != "co" || got.Binding != binding.Value || got.Provider != "google" {
		t.Fatalf("callback %+v", got)
	}
}

func TestCallback_ASinglePageAppReceivesOnlyALoginCode(t *testing.T) {
	e := newEnv(t)
	e.fake.complete = federationport.Completion{Outcome: federationport.OutcomeSignedIn, ReturnTo: "https://app.example.com/cb?x=1",
		Delivery: shared.DeliverCode, LoginCode: "one-time"}
	res, _ := e.do(t, "GET", "/api/v1/auth/external/google/callback?state=st&code=co", "")
	loc, _ := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != 303 || loc.Host != "app.example.com" || loc.Query().Get("login_code") != "one-time" || loc.Query().Get("x") != "1" {
		t.Fatalf("%d %s", res.StatusCode, loc)
	}
	if cookie(res, httpapi.SessionCookie) != nil {
		t.Fatal("a code delivery set the session cookie")
	}
}

func TestCallback_FailuresGoWhereTheyAreExplained(t *testing.T) {
	cases := []struct {
		name     string
		complete federationport.Completion
		err      error
		want     string
	}{
		{"unknown state", federationport.Completion{}, federation.ErrStateInvalid, "/login?error=federation.state_invalid"},
		{"sign-in with a target", federationport.Completion{ReturnTo: "/account"}, federation.ErrLinkRequiresSignIn,
			"/login?error=federation.link_requires_sign_in&return_to=%2Faccount"},
		{"link", federationport.Completion{ReturnTo: "/account", Link: true}, federation.ErrIdentityTaken, "/account?error=federation.identity_taken"},
		{"single-page app", federationport.Completion{ReturnTo: "https://app.example.com/cb", Delivery: shared.DeliverCode}, federation.ErrConsentDenied,
			"https://app.example.com/cb?error=federation.consent_denied"},
		{"registration limit", federationport.Completion{}, shared.RateLimited("identity.register_rate_limited", "x", time.Minute),
			"/login?error=federation.rate_limited"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.fake.complete, e.fake.err = c.complete, c.err
			res, _ := e.do(t, "GET", "/api/v1/auth/external/google/callback?state=st&error=access_denied", "")
			if res.StatusCode != 303 || res.Header.Get("Location") != c.want {
				t.Fatalf("%d %s", res.StatusCode, res.Header.Get("Location"))
			}
			if cookie(res, httpapi.SessionCookie) != nil {
				t.Fatal("a failure set a session")
			}
		})
	}
}

func TestCallback_AnUnavailableDatabaseIs503InTheEnvelope(t *testing.T) {
	e := newEnv(t)
	e.fake.err = shared.Unavailable("database.unavailable", "down")
	res, body := e.do(t, "GET", "/api/v1/auth/external/google/callback?state=st", "")
	if res.StatusCode != 503 || !strings.Contains(body, "SERVICE_UNAVAILABLE") {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
}

func TestExchange_RedeemsACodeAndRefusesAnUnknownOne(t *testing.T) {
	e := newEnv(t)
	res, body := e.do(t, "POST", "/api/v1/auth/external/exchange", `{"login_code":"good"}`)
	if res.StatusCode != 200 || !strings.Contains(body, `"token":"new-token"`) || !strings.Contains(body, `"auth_method":"social:google"`) {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	res, body = e.do(t, "POST", "/api/v1/auth/external/exchange", `{"login_code":"used"}`)
	if res.StatusCode != 401 || !strings.Contains(body, "federation.login_code_invalid") {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	if res, _ := e.do(t, "POST", "/api/v1/auth/external/exchange", `{}`); res.StatusCode != 400 {
		t.Fatalf("no code: %d", res.StatusCode)
	}
}

func TestLink_AnswersTheProviderURLAndBindsThisBrowser(t *testing.T) {
	e := newEnv(t)
	res, body := e.do(t, "POST", "/api/v1/users/me/identities/google", `{"return_to":"/account"}`)
	if res.StatusCode != 200 || !strings.Contains(body, `"authorization_url":"https://idp.example/authorize?state=l"`) {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	if c := cookie(res, federationhttp.BindingCookie); c == nil || e.fake.begins[0].Binding != c.Value {
		t.Fatal("no binding")
	}
	if res, _ := e.do(t, "POST", "/api/v1/users/me/identities/google", `{"return_to":"https://evil.example/"}`); res.StatusCode != 400 {
		t.Fatalf("a refused target: %d", res.StatusCode)
	}
	e.fake.err = federation.ErrReauthRequired
	if res, _ := e.do(t, "POST", "/api/v1/users/me/identities/google", `{}`); res.StatusCode != 403 {
		t.Fatalf("a stale session: %d", res.StatusCode)
	}
}

func TestIdentities_ListAndUnlink(t *testing.T) {
	e := newEnv(t)
	res, body := e.do(t, "GET", "/api/v1/users/me/identities", "")
	if res.StatusCode != 200 || !strings.Contains(body, `"provider":"google"`) {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	if res, _ := e.do(t, "DELETE", "/api/v1/users/me/identities/not-a-uuid", ""); res.StatusCode != 404 {
		t.Fatalf("malformed id: %d", res.StatusCode)
	}
	e.fake.err = federation.ErrLastSignInMethod
	res, body = e.do(t, "DELETE", "/api/v1/users/me/identities/"+uuid.NewString(), "")
	if res.StatusCode != 409 || !strings.Contains(body, "federation.last_sign_in_method") {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
}

func TestOpenAPI_FragmentDocumentsEveryRoute(t *testing.T) {
	doc, err := apidocs.Build(federationhttp.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	ops := strings.Join(doc.Operations(), "\n")
	for _, want := range []string{
		"GET /api/v1/auth/providers", "GET /api/v1/auth/external/{provider}", "GET /api/v1/auth/external/{provider}/callback",
		"POST /api/v1/auth/external/exchange", "GET /api/v1/users/me/identities", "POST /api/v1/users/me/identities/{identity}",
		"DELETE /api/v1/users/me/identities/{identity}",
	} {
		if !strings.Contains(ops, want) {
			t.Errorf("%s is not documented", want)
		}
	}
}
