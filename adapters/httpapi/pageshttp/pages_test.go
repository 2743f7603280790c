package pageshttp_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/adapters/httpapi/pageshttp"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/organizationsport"
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

var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// world fakes identity, sessions and organizations: one account
// (bob@example.com / right password), sessions by token.
type world struct {
	mu         sync.Mutex
	sessions   map[string]sessionsport.Principal
	user       identityport.UserView
	loginErr   error
	logins     []sessionsport.Transport
	logouts    []uuid.UUID
	accepted   []string
	acceptErr  error
	authErr    error
	issued     int
	lastIssued string
	links      links
}

type sessionsPrincipal = sessionsport.Principal

func newWorld() *world {
	return &world{
		sessions: map[string]sessionsport.Principal{},
		user:     identityport.UserView{ID: shared.UserID(uuid.New()), Email: "bob@example.com", Name: "Bob <b>"},
	}
}

func (w *world) Login(ctx context.Context, cmd identityport.LoginCommand) (identityport.LoginResult, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.logins = append(w.logins, sessionsport.TransportFrom(ctx))
	if w.loginErr != nil {
		return identityport.LoginResult{}, w.loginErr
	}
	if cmd.Email == "" || cmd.Password == "" {
		f := shared.FieldErrors{}
		if cmd.Email == "" {
			f.Add("email", "is required")
		}
		if cmd.Password == "" {
			f.Add("password", "is required")
		}
		return identityport.LoginResult{}, f.Err("identity.invalid_input")
	}
	if cmd.Email != "bob@example.com" || cmd.Password != "right" {
		return identityport.LoginResult{}, shared.Unauthenticated("identity.invalid_credentials", "invalid email or password")
	}
	w.issued++
	token := "token-" + uuid.NewString()
	p := sessionsport.Principal{UserID: w.user.ID, SessionID: uuid.New(), ExpiresAt: t0.Add(15 * time.Minute),
		Method: sessionsport.MethodPassword, AuthTime: t0}
	w.sessions[token] = p
	w.lastIssued = token
	return identityport.LoginResult{
		Session: sessionsport.IssuedSession{Token: token, Session: sessionsport.SessionView{
			ID: p.SessionID, AbsoluteExpiresAt: t0.Add(8 * time.Hour),
		}},
		User: w.user,
	}, nil
}

func (w *world) Me(context.Context, sessionsport.Principal) (identityport.UserView, error) {
	return w.user, nil
}

func (w *world) Authenticate(_ context.Context, token string) (sessionsport.Principal, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.authErr != nil {
		return sessionsport.Principal{}, w.authErr
	}
	p, ok := w.sessions[token]
	if !ok {
		return sessionsport.Principal{}, shared.Unauthenticated("auth.invalid_token", "ended")
	}
	return p, nil
}

func (w *world) Logout(_ context.Context, p sessionsport.Principal) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.logouts = append(w.logouts, p.SessionID)
	for tok, q := range w.sessions {
		if q.SessionID == p.SessionID {
			delete(w.sessions, tok)
			return nil
		}
	}
	return shared.Unauthenticated("auth.invalid_token", "ended")
}

func (w *world) AcceptInvitationByToken(_ context.Context, actor shared.UserID, token string) (organizationsport.OrganizationView, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.acceptErr != nil {
		return organizationsport.OrganizationView{}, w.acceptErr
	}
	w.accepted = append(w.accepted, actor.String()+" "+token)
	return organizationsport.OrganizationView{Name: "Acme <Corp>", Role: "member"}, nil
}

type site struct {
	app     *fiber.App
	world   *world
	browser *httpapi.Browser
	pages   *pageshttp.Pages
}

func newSite(t *testing.T) *site {
	t.Helper()
	w := newWorld()
	b, err := httpapi.NewBrowser(httpapi.BrowserOptions{Signer: signer{}})
	if err != nil {
		t.Fatal(err)
	}
	returns, err := pageshttp.NewReturnPolicy("http://auth.test", []string{"https://app.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	pages, err := pageshttp.NewPages(returns.FormTargets())
	if err != nil {
		t.Fatal(err)
	}
	app := httpapi.New(httpapi.Options{BodyLimit: 4096, Groups: []httpapi.RouteGroup{pages.Group()}})
	if err := pageshttp.Register(app, pageshttp.Deps{Identity: w, Sessions: w, Invitations: w, Browser: b, Pages: pages, Returns: returns}); err != nil {
		t.Fatal(err)
	}
	return &site{app: app, world: w, browser: b, pages: pages}
}

// page is one answer, with the cookies it set.
type page struct {
	status  int
	header  http.Header
	body    string
	cookies map[string]*http.Cookie
}

func (s *site) do(t *testing.T, method, path string, form url.Values, cookies ...*http.Cookie) page {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, c := range cookies {
		if c != nil {
			req.AddCookie(c)
		}
	}
	res, err := s.app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	p := page{status: res.StatusCode, header: res.Header, body: string(raw), cookies: map[string]*http.Cookie{}}
	for _, c := range res.Cookies() {
		p.cookies[c.Name] = c
	}
	return p
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func (p page) csrf(t *testing.T) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF field in:\n%s", p.body)
	}
	return m[1]
}

// loginForm opens /login and returns its CSRF token and pre-session cookie.
func (s *site) loginForm(t *testing.T) (string, *http.Cookie) {
	t.Helper()
	p := s.do(t, "GET", "/login", nil)
	if p.status != 200 {
		t.Fatalf("GET /login: %d %s", p.status, p.body)
	}
	return p.csrf(t), p.cookies["authy_csrf"]
}

// signIn signs bob in and returns the session cookie.
func (s *site) signIn(t *testing.T, extra ...*http.Cookie) *http.Cookie {
	t.Helper()
	token, pre := s.loginForm(t)
	p := s.do(t, "POST", "/login", url.Values{"email": {"bob@example.com"}, "password": {"right"}, "csrf_token": {token}},
		append([]*http.Cookie{pre}, extra...)...)
	if p.status != 303 || p.cookies["authy_session"] == nil {
		t.Fatalf("sign-in: %d %v %s", p.status, p.header, p.body)
	}
	return p.cookies["authy_session"]
}

// noScriptNoStyle checks what a page must never hold.
func noScriptNoStyle(t *testing.T, p page) {
	t.Helper()
	low := strings.ToLower(p.body)
	for _, bad := range []string{"<script", " style=", "<style", "javascript:", " onclick=", " onload=", " onsubmit=", "http://", "https://"} {
		if strings.Contains(low, bad) {
			t.Errorf("page holds %q:\n%s", bad, p.body)
		}
	}
	if !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") {
		t.Errorf("content type %q", p.header.Get("Content-Type"))
	}
	if got := p.header.Get("Content-Security-Policy"); got != "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self' https://app.example.com; frame-ancestors 'none'; base-uri 'none'" {
		t.Errorf("CSP %q", got)
	}
	if p.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", p.header.Get("Cache-Control"))
	}
}

func TestLoginPage_IsALabelledFormWithoutScriptsOrStyles(t *testing.T) {
	s := newSite(t)
	p := s.do(t, "GET", "/login?return_to=%2Finvitations%2Faccept%3Ftoken%3Dabc", nil)
	noScriptNoStyle(t, p)
	for _, want := range []string{
		`<html lang="en">`,
		`<link rel="stylesheet" href="/assets/authy.css">`,
		`<form method="post" action="/login">`,
		`<label for="email">Email address</label>`,
		`<input id="email" name="email" type="email" autocomplete="username" required`,
		`<label for="password">Password</label>`,
		`<input id="password" name="password" type="password" autocomplete="current-password" required`,
		`<button type="submit">Sign in</button>`,
		`<input type="hidden" name="return_to" value="/invitations/accept?token=abc">`,
		`<a href="/forgot-password">`,
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the page lacks %s:\n%s", want, p.body)
		}
	}
	pre := p.cookies["authy_csrf"]
	if pre == nil || !pre.HttpOnly || pre.SameSite != http.SameSiteLaxMode || pre.Path != "/" {
		t.Fatalf("pre-session cookie %+v", pre)
	}
	css := s.do(t, "GET", "/assets/authy.css", nil)
	if css.status != 200 || !strings.HasPrefix(css.header.Get("Content-Type"), "text/css") || !strings.Contains(css.body, "body {") {
		t.Fatalf("stylesheet: %d %s", css.status, css.header.Get("Content-Type"))
	}
}

func TestLoginPage_DropsAReturnToThatIsNotTrusted(t *testing.T) {
	s := newSite(t)
	p := s.do(t, "GET", "/login?return_to=%2F%2Fevil.example", nil)
	if strings.Contains(p.body, "evil") || strings.Contains(p.body, `name="return_to"`) {
		t.Fatalf("an untrusted return_to reached the form:\n%s", p.body)
	}
}

func TestLogin_WithoutTheFormsCSRFTokenIsAForbiddenPage(t *testing.T) {
	s := newSite(t)
	token, pre := s.loginForm(t)
	other := newSite(t)
	_, otherPre := other.loginForm(t)
	for name, c := range map[string]struct {
		form   url.Values
		cookie *http.Cookie
	}{
		"no token":                 {url.Values{"email": {"bob@example.com"}, "password": {"right"}}, pre},
		"no pre-session cookie":    {url.Values{"email": {"bob@example.com"}, "password": {"right"}, "csrf_token": {token}}, nil},
		"another browser's cookie": {url.Values{"email": {"bob@example.com"}, "password": {"right"}, "csrf_token": {token}}, otherPre},
		"a forged token":           {url.Values{"email": {"bob@example.com"}, "password": {"right"}, "csrf_token": {"x" + token[1:]}}, pre},
	} {
		p := s.do(t, "POST", "/login", c.form, c.cookie)
		if p.status != 403 || !strings.Contains(p.body, "This form has expired or was not sent from this site") || p.cookies["authy_session"] != nil {
			t.Errorf("%s: %d %s", name, p.status, p.body)
		}
		noScriptNoStyle(t, p)
	}
	if len(s.world.logins) != 0 {
		t.Fatalf("a refused form reached the login use case %d times", len(s.world.logins))
	}
}

func TestLogin_AWrongPasswordShowsTheMessageOnTheFormWith401(t *testing.T) {
	s := newSite(t)
	token, pre := s.loginForm(t)
	p := s.do(t, "POST", "/login", url.Values{"email": {"bob@example.com"}, "password": {"wrong-secret"}, "csrf_token": {token},
		"return_to": {"/account"}}, pre)
	if p.status != 401 || !strings.Contains(p.body, `role="alert"`) || !strings.Contains(p.body, "The email address or the password is not correct.") {
		t.Fatalf("%d %s", p.status, p.body)
	}
	if !strings.Contains(p.body, `value="bob@example.com"`) || strings.Contains(p.body, "wrong-secret") || p.cookies["authy_session"] != nil {
		t.Fatalf("the form must keep the email, never the password, and sign nobody in:\n%s", p.body)
	}
	if p.csrf(t) != token {
		t.Fatal("the form shown again must carry the browser's token")
	}
	noScriptNoStyle(t, p)
}

func TestLogin_MissingFieldsAreMarkedOnTheForm(t *testing.T) {
	s := newSite(t)
	token, pre := s.loginForm(t)
	p := s.do(t, "POST", "/login", url.Values{"email": {""}, "password": {""}, "csrf_token": {token}}, pre)
	if p.status != 400 || strings.Count(p.body, "This field is required.") != 2 || !strings.Contains(p.body, `aria-invalid="true" aria-describedby="email-error"`) {
		t.Fatalf("%d %s", p.status, p.body)
	}
}

func TestLogin_ARateLimitIsA429PageWithRetryAfter(t *testing.T) {
	s := newSite(t)
	s.world.loginErr = shared.RateLimited("identity.login_rate_limited", "too many", 30*time.Second)
	token, pre := s.loginForm(t)
	p := s.do(t, "POST", "/login", url.Values{"email": {"bob@example.com"}, "password": {"right"}, "csrf_token": {token}}, pre)
	if p.status != 429 || p.header.Get("Retry-After") != "30" || !strings.Contains(p.body, "Too many sign-in attempts") ||
		!strings.Contains(p.body, "Try again in 30 seconds.") {
		t.Fatalf("%d %v %s", p.status, p.header, p.body)
	}
	noScriptNoStyle(t, p)
}

func TestLogin_SetsAFreshHttpOnlySessionCookieAndGoesToReturnTo(t *testing.T) {
	s := newSite(t)
	token, pre := s.loginForm(t)
	p := s.do(t, "POST", "/login", url.Values{"email": {"bob@example.com"}, "password": {"right"}, "csrf_token": {token},
		"return_to": {"https://app.example.com/home"}}, pre)
	if p.status != 303 || p.header.Get("Location") != "https://app.example.com/home" {
		t.Fatalf("%d %v", p.status, p.header)
	}
	c := p.cookies["authy_session"]
	if c == nil || c.Value != s.world.lastIssued || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure {
		t.Fatalf("session cookie %+v", c)
	}
	if !c.Expires.Equal(t0.Add(8 * time.Hour)) {
		t.Fatalf("the cookie outlives the session: %s", c.Expires)
	}
	if len(s.world.logins) != 1 || s.world.logins[0] != sessionsport.TransportCookie {
		t.Fatalf("the sign-in is not marked as the cookie's: %v", s.world.logins)
	}
}

func TestLogin_AnUntrustedReturnToGoesToTheAccountPage(t *testing.T) {
	s := newSite(t)
	for _, rt := range []string{"//evil.example", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "https://app.example.com.evil.example/"} {
		token, pre := s.loginForm(t)
		p := s.do(t, "POST", "/login", url.Values{"email": {"bob@example.com"}, "password": {"right"}, "csrf_token": {token},
			"return_to": {rt}}, pre)
		if p.status != 303 || p.header.Get("Location") != "/account" {
			t.Errorf("return_to %q: %d %q", rt, p.status, p.header.Get("Location"))
		}
	}
}

func TestLogin_EverySignInGetsANewTokenAndEndsTheBrowsersEarlierSession(t *testing.T) {
	s := newSite(t)
	first := s.signIn(t)
	second := s.signIn(t, first)
	if first.Value == second.Value {
		t.Fatal("the second sign-in kept the token")
	}
	if p := s.do(t, "GET", "/account", nil, first); p.status != 303 {
		t.Fatalf("the earlier session still opens the account: %d", p.status)
	}
	if p := s.do(t, "GET", "/account", nil, second); p.status != 200 {
		t.Fatalf("the new session: %d", p.status)
	}
	if len(s.world.logouts) != 1 {
		t.Fatalf("logouts %v", s.world.logouts)
	}
}

func TestLoginPage_ABrowserAlreadySignedInGoesOn(t *testing.T) {
	s := newSite(t)
	c := s.signIn(t)
	p := s.do(t, "GET", "/login?return_to=%2Finvitations%2Faccept%3Ftoken%3Dx", nil, c)
	if p.status != 303 || p.header.Get("Location") != "/invitations/accept?token=x" {
		t.Fatalf("%d %v", p.status, p.header)
	}
}

func TestAccount_SignedOutGoesToLoginAndBackSignedInShowsWhoYouAre(t *testing.T) {
	s := newSite(t)
	p := s.do(t, "GET", "/account", nil)
	if p.status != 303 || p.header.Get("Location") != "/login?return_to=%2Faccount" {
		t.Fatalf("%d %v", p.status, p.header)
	}
	c := s.signIn(t)
	p = s.do(t, "GET", "/account", nil, c)
	if p.status != 200 || !strings.Contains(p.body, "You are signed in as bob@example.com.") ||
		!strings.Contains(p.body, "Bob &lt;b&gt;") || !strings.Contains(p.body, `<form method="post" action="/logout">`) ||
		!strings.Contains(p.body, "<dd>password</dd>") || !strings.Contains(p.body, `<time datetime="2025-03-01T09:00:00Z">`) {
		t.Fatalf("%d %s", p.status, p.body)
	}
	sid := s.world.sessions[c.Value].SessionID
	if p.csrf(t) != s.browser.CSRFToken(sid) || !strings.Contains(p.body, `<meta name="authy-csrf-token" content="`+s.browser.CSRFToken(sid)+`">`) {
		t.Fatal("the sign-out form must carry the session's CSRF token")
	}
	noScriptNoStyle(t, p)
}

func TestAccount_ACookieThatEndedIsClearedAndReadsAsSignedOut(t *testing.T) {
	s := newSite(t)
	p := s.do(t, "GET", "/account", nil, &http.Cookie{Name: "authy_session", Value: "ended"})
	if p.status != 303 || p.cookies["authy_session"] == nil || p.cookies["authy_session"].Value != "" {
		t.Fatalf("%d %v", p.status, p.cookies)
	}
}

func TestAccount_AStoreThatCannotAnswerIsA503Page(t *testing.T) {
	s := newSite(t)
	s.world.authErr = shared.Unavailable("sessions.store_unavailable", "down")
	p := s.do(t, "GET", "/account", nil, &http.Cookie{Name: "authy_session", Value: "x"})
	if p.status != 503 || p.header.Get("Retry-After") == "" || !strings.Contains(p.body, "Temporarily unavailable") {
		t.Fatalf("%d %v %s", p.status, p.header, p.body)
	}
	noScriptNoStyle(t, p)
}

func TestLogout_NeedsTheSessionsCSRFTokenThenEndsTheSessionAndClearsTheCookie(t *testing.T) {
	s := newSite(t)
	c := s.signIn(t)
	other := s.signIn(t) // a second browser's session, and its token
	otherToken := s.browser.CSRFToken(s.world.sessions[other.Value].SessionID)
	confirm := s.do(t, "GET", "/logout", nil, c)
	if confirm.status != 200 || !strings.Contains(confirm.body, "Do you want to sign out") {
		t.Fatalf("%d %s", confirm.status, confirm.body)
	}
	for name, tok := range map[string]string{"no": "", "another session's": otherToken, "a wrong": "abc"} {
		p := s.do(t, "POST", "/logout", url.Values{"csrf_token": {tok}}, c)
		if p.status != 403 || p.cookies["authy_session"] != nil {
			t.Errorf("%s token: %d %s", name, p.status, p.body)
		}
	}
	p := s.do(t, "POST", "/logout", url.Values{"csrf_token": {confirm.csrf(t)}}, c)
	if p.status != 303 || p.header.Get("Location") != "/logout" || p.cookies["authy_session"] == nil || p.cookies["authy_session"].Value != "" {
		t.Fatalf("%d %v %v", p.status, p.header, p.cookies)
	}
	if after := s.do(t, "GET", "/account", nil, c); after.status != 303 {
		t.Fatalf("the old cookie still opens the account: %d", after.status)
	}
	done := s.do(t, "GET", "/logout", nil)
	if done.status != 200 || !strings.Contains(done.body, "You are signed out on this browser.") || strings.Contains(done.body, "csrf_token") {
		t.Fatalf("%d %s", done.status, done.body)
	}
	noScriptNoStyle(t, done)
}

func TestPages_ErrorsAreHTMLPagesInEveryForm(t *testing.T) {
	s := newSite(t)
	for _, c := range []struct {
		method, path string
		body         string
		status       int
		text         string
	}{
		{"GET", "/login/nothing", "", 404, "Page not found"},
		{"PUT", "/login", "", 405, "Not available this way"},
		{"POST", "/login", strings.Repeat("a", 5000), 413, "Too much data"},
		{"POST", "/logout", "{}", 415, "Unexpected form"},
		{"GET", "/assets/nothing.js", "", 404, "Page not found"},
		{"GET", "/invitations/nothing", "", 404, "Page not found"},
	} {
		req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
		if c.body == "{}" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := s.app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		p := page{status: res.StatusCode, header: res.Header, body: string(raw)}
		if p.status != c.status || !strings.Contains(p.body, "<h1 id=\"title\">"+c.text+"</h1>") ||
			!strings.Contains(p.body, "Reference: "+res.Header.Get("X-Request-ID")) || strings.Contains(p.body, `"success"`) {
			t.Errorf("%s %s: %d %s", c.method, c.path, p.status, p.body)
		}
		noScriptNoStyle(t, p)
	}
}

func TestInvitationPage_SignsInFirstThenAcceptsOnlyThroughTheForm(t *testing.T) {
	s := newSite(t)
	p := s.do(t, "GET", "/invitations/accept?token=tok123", nil)
	if p.status != 303 || p.header.Get("Location") != "/login?return_to=%2Finvitations%2Faccept%3Ftoken%3Dtok123" {
		t.Fatalf("%d %v", p.status, p.header)
	}
	c := s.signIn(t)
	form := s.do(t, "GET", "/invitations/accept?token=tok123", nil, c)
	if form.status != 200 || !strings.Contains(form.body, `<input type="hidden" name="token" value="tok123">`) || len(s.world.accepted) != 0 {
		t.Fatalf("%d %s (accepted %v)", form.status, form.body, s.world.accepted)
	}
	noScriptNoStyle(t, form)
	if bad := s.do(t, "POST", "/invitations/accept", url.Values{"token": {"tok123"}, "csrf_token": {"nope"}}, c); bad.status != 403 || len(s.world.accepted) != 0 {
		t.Fatalf("without the CSRF token: %d (accepted %v)", bad.status, s.world.accepted)
	}
	done := s.do(t, "POST", "/invitations/accept", url.Values{"token": {"tok123"}, "csrf_token": {form.csrf(t)}}, c)
	if done.status != 200 || !strings.Contains(done.body, "You are now a member of Acme &lt;Corp&gt; with the role member.") {
		t.Fatalf("%d %s", done.status, done.body)
	}
	if len(s.world.accepted) != 1 || s.world.accepted[0] != s.world.user.ID.String()+" tok123" {
		t.Fatalf("accepted %v", s.world.accepted)
	}
	s.world.acceptErr = shared.Conflict("organizations.invitation_expired", "expired")
	gone := s.do(t, "POST", "/invitations/accept", url.Values{"token": {"tok123"}, "csrf_token": {form.csrf(t)}}, c)
	if gone.status != 409 || !strings.Contains(gone.body, "This invitation has expired. Ask for a new one.") {
		t.Fatalf("%d %s", gone.status, gone.body)
	}
	if missing := s.do(t, "GET", "/invitations/accept", nil, c); missing.status != 400 || !strings.Contains(missing.body, "This link is incomplete") {
		t.Fatalf("%d %s", missing.status, missing.body)
	}
}
