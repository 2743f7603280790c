//go:build integration

package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/secuird/authy/adapters/pgstore/auditpg"
	"github.com/secuird/authy/bootstrap"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/tests/apitest"
	"github.com/secuird/authy/tests/testenv"
)

// pageBrowser is a browser without JavaScript: a cookie jar, forms posted
// as application/x-www-form-urlencoded, redirects not followed (each test
// reads where they go).
type pageBrowser struct {
	srv    *apitest.Server
	client *http.Client
	jar    *cookiejar.Jar
}

func newPageBrowser(t *testing.T, srv *apitest.Server) *pageBrowser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &pageBrowser{srv: srv, jar: jar, client: &http.Client{
		Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type pageAnswer struct {
	status int
	header http.Header
	body   string
}

func (b *pageBrowser) send(t *testing.T, method, path string, form url.Values, headers ...string) pageAnswer {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := b.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return pageAnswer{res.StatusCode, res.Header, string(raw)}
}

// session returns the value of the browser's session cookie ("" without).
func (b *pageBrowser) session() string {
	u, _ := url.Parse(b.srv.URL)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == "authy_session" {
			return c.Value
		}
	}
	return ""
}

// setSession replaces the browser's session cookie (to replay an old one).
func (b *pageBrowser) setSession(value string) {
	u, _ := url.Parse(b.srv.URL)
	b.jar.SetCookies(u, []*http.Cookie{{Name: "authy_session", Value: value, Path: "/"}})
}

var (
	pageCSRF    = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	pageMetaTok = regexp.MustCompile(`<meta name="authy-csrf-token" content="([^"]+)">`)
)

func formToken(t *testing.T, a pageAnswer) string {
	t.Helper()
	m := pageCSRF.FindStringSubmatch(a.body)
	if m == nil {
		t.Fatalf("no CSRF field (%d):\n%s", a.status, a.body)
	}
	return m[1]
}

// signInPage signs in through /login and returns where it went.
func (b *pageBrowser) signInPage(t *testing.T, email, password, returnTo string) pageAnswer {
	t.Helper()
	form := b.send(t, "GET", "/login", nil)
	if form.status != http.StatusOK {
		t.Fatalf("GET /login: %d %s", form.status, form.body)
	}
	v := url.Values{"email": {email}, "password": {password}, "csrf_token": {formToken(t, form)}}
	if returnTo != "" {
		v.Set("return_to", returnTo)
	}
	return b.send(t, "POST", "/login", v)
}

type pageEnvelope struct {
	Success bool            `json:"success"`
	Code    int             `json:"code"`
	Data    json.RawMessage `json:"data"`
	Error   *struct {
		Type string `json:"type"`
		Code string `json:"code"`
	} `json:"error"`
}

func envelopeOf(t *testing.T, a pageAnswer) pageEnvelope {
	t.Helper()
	var e pageEnvelope
	if err := json.Unmarshal([]byte(a.body), &e); err != nil || e.Code != a.status {
		t.Fatalf("not an envelope (%d): %s", a.status, a.body)
	}
	return e
}

func newPageUser(t *testing.T, srv *apitest.Server, label string) (email, password string) {
	t.Helper()
	email = fmt.Sprintf("%s-%s@example.com", label, testenv.Unique())
	password = "pages correct horse 42"
	idRegister(t, srv, email, password)
	return email, password
}

func TestPages_SignInThroughTheLoginPageUsesTheCookieAcrossThePagesAndTheAPI(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend)
			email, password := newPageUser(t, srv, "pages")
			b := newPageBrowser(t, srv)

			wrong := b.signInPage(t, email, "not the password", "/account")
			if wrong.status != http.StatusUnauthorized || !strings.Contains(wrong.body, "The email address or the password is not correct.") ||
				!strings.HasPrefix(wrong.header.Get("Content-Type"), "text/html") || b.session() != "" {
				t.Fatalf("wrong password: %d %s", wrong.status, wrong.body)
			}
			ok := b.signInPage(t, email, password, "/account")
			if ok.status != http.StatusSeeOther || ok.header.Get("Location") != "/account" || b.session() == "" {
				t.Fatalf("sign-in: %d %v", ok.status, ok.header)
			}
			account := b.send(t, "GET", "/account", nil)
			if account.status != http.StatusOK || !strings.Contains(account.body, email) || !strings.Contains(account.body, "not verified yet") {
				t.Fatalf("account: %d %s", account.status, account.body)
			}

			// The API takes the cookie: reads freely, changes with the
			// session's CSRF token only.
			me := envelopeOf(t, b.send(t, "GET", "/api/v1/auth/me", nil))
			if !me.Success || !strings.Contains(string(me.Data), email) {
				t.Fatalf("me with the cookie: %+v", me)
			}
			list := b.send(t, "GET", "/api/v1/auth/sessions", nil)
			var sessions []struct {
				AuthMethod string   `json:"auth_method"`
				AMR        []string `json:"amr"`
				Current    bool     `json:"current"`
			}
			if err := json.Unmarshal(envelopeOf(t, list).Data, &sessions); err != nil || len(sessions) != 1 ||
				sessions[0].AuthMethod != "password" || fmt.Sprint(sessions[0].AMR) != "[pwd]" || !sessions[0].Current {
				t.Fatalf("sessions: %s", list.body)
			}
			refused := b.send(t, "POST", "/api/v1/auth/sessions/refresh", nil)
			if e := envelopeOf(t, refused); refused.status != http.StatusForbidden || e.Error == nil || e.Error.Code != "auth.csrf_invalid" {
				t.Fatalf("refresh without the CSRF token: %d %s", refused.status, refused.body)
			}
			meta := pageMetaTok.FindStringSubmatch(account.body)
			if meta == nil {
				t.Fatalf("the account page carries no CSRF token for scripts:\n%s", account.body)
			}
			if r := b.send(t, "POST", "/api/v1/auth/sessions/refresh", nil, "X-CSRF-Token", meta[1]); r.status != http.StatusOK {
				t.Fatalf("refresh with the CSRF token: %d %s", r.status, r.body)
			}
			// Bearer requests need no CSRF token.
			bearer := idStatus(t, srv.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}, ""), http.StatusOK)
			var issued struct {
				Token string `json:"token"`
			}
			bearer.Decode(t, &issued)
			idStatus(t, srv.Do(t, "POST", "/api/v1/auth/sessions/refresh", nil, issued.Token), http.StatusOK)

			// Sign-out ends the session: the old cookie is refused everywhere.
			old := b.session()
			confirm := b.send(t, "GET", "/logout", nil)
			out := b.send(t, "POST", "/logout", url.Values{"csrf_token": {formToken(t, confirm)}})
			if out.status != http.StatusSeeOther || b.session() != "" {
				t.Fatalf("sign-out: %d %v (cookie %q)", out.status, out.header, b.session())
			}
			b.setSession(old)
			if r := b.send(t, "GET", "/api/v1/auth/me", nil); r.status != http.StatusUnauthorized {
				t.Fatalf("the signed-out cookie on the API: %d %s", r.status, r.body)
			}
			if r := b.send(t, "GET", "/account", nil); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") {
				t.Fatalf("the signed-out cookie on the account page: %d %v", r.status, r.header)
			}

			// Sign-in and sign-out through the cookie are audited as such,
			// and no token is in any record.
			actions := auditActions(t, srv, old, issued.Token)
			if actions["auth.login.succeeded"] != 2 || actions["auth.logout"] != 1 {
				t.Fatalf("audit actions %v", actions)
			}
			if !auditHasCookieTransport(t, srv, "auth.login.succeeded") || !auditHasCookieTransport(t, srv, "auth.logout") {
				t.Fatal("the cookie sign-in and sign-out do not say transport cookie")
			}
		})
	}
}

// auditHasCookieTransport reports whether a record of action says it came
// through the session cookie.
func auditHasCookieTransport(t *testing.T, srv *apitest.Server, action string) bool {
	t.Helper()
	records, err := auditpg.New(idDB(t, srv)).List(t.Context(), auditport.Query{Limit: 500, Order: auditport.OldestFirst})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range records {
		s := r.State()
		var details map[string]any
		if s.Action == action && json.Unmarshal(s.Details, &details) == nil && details["transport"] == "cookie" {
			return true
		}
	}
	return false
}

func TestPages_EverySignInMakesANewTokenAndTheEarlierOneStopsWorking(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend)
			email, password := newPageUser(t, srv, "fixation")
			b := newPageBrowser(t, srv)
			// A token planted in the browser before sign-in (here: any
			// value) is not what the browser holds afterwards.
			b.setSession("planted-by-an-attacker")
			secondTab := b.send(t, "GET", "/login", nil) // a form left open in another tab
			b.signInPage(t, email, password, "")
			first := b.session()
			if first == "" || first == "planted-by-an-attacker" {
				t.Fatalf("after sign-in the cookie is %q", first)
			}
			again := b.send(t, "POST", "/login", url.Values{"email": {email}, "password": {password}, "csrf_token": {formToken(t, secondTab)}})
			second := b.session()
			if again.status != http.StatusSeeOther || second == "" || second == first {
				t.Fatalf("the second sign-in (%d) kept the token", again.status)
			}
			b.setSession(first)
			if r := b.send(t, "GET", "/api/v1/auth/me", nil); r.status != http.StatusUnauthorized {
				t.Fatalf("the earlier session still works: %d", r.status)
			}
			b.setSession(second)
			if r := b.send(t, "GET", "/api/v1/auth/me", nil); r.status != http.StatusOK {
				t.Fatalf("the current session: %d %s", r.status, r.body)
			}
		})
	}
}

func TestPages_ReturnToGoesOnlyToAuthysOwnOriginOrARegisteredTarget(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend, apitest.WithConfig(func(c *bootstrap.Config) {
				c.PublicURL = "https://auth.example.com"
				c.AuthReturnURLs = []string{"https://app.example.com", "http://localhost:3000/done"}
				c.LoginRateLimitPerIP = 100
			}))
			email, password := newPageUser(t, srv, "returnto")
			for rt, want := range map[string]string{
				"/invitations/accept?token=x":            "/invitations/accept?token=x",
				"https://auth.example.com/account":       "https://auth.example.com/account",
				"https://app.example.com/home":           "https://app.example.com/home",
				"http://localhost:3000/done":             "http://localhost:3000/done",
				"//evil.example":                         "/account",
				"/\\evil.example":                        "/account",
				"https://evil.example/":                  "/account",
				"https://auth.example.com@evil.example/": "/account",
				"https://app.example.com:8443/":          "/account",
				"http://app.example.com/":                "/account",
				"http://localhost:3000/other":            "/account",
				"javascript:alert(document.domain)":      "/account",
				"/%2F%2Fevil.example":                    "/account",
				"/\t/evil.example":                       "/account",
			} {
				b := newPageBrowser(t, srv)
				a := b.signInPage(t, email, password, rt)
				if a.status != http.StatusSeeOther || a.header.Get("Location") != want {
					t.Errorf("return_to %q: %d to %q, want %q", rt, a.status, a.header.Get("Location"), want)
				}
			}
		})
	}
}

func TestPages_EachRouteGroupAnswersErrorsInItsOwnFormat(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend, apitest.WithConfig(func(c *bootstrap.Config) { c.BodyLimitBytes = 2048 }))
			b := newPageBrowser(t, srv)
			big := url.Values{"email": {strings.Repeat("a", 4096)}}
			html := func(name string, a pageAnswer, status int) {
				t.Helper()
				if a.status != status || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") ||
					!strings.Contains(a.body, "<!doctype html>") || !strings.Contains(a.header.Get("Content-Security-Policy"), "style-src 'self'") {
					t.Errorf("pages %s: %d %s %.200s", name, a.status, a.header.Get("Content-Type"), a.body)
				}
			}
			html("404", b.send(t, "GET", "/login/nothing", nil), http.StatusNotFound)
			html("405", b.send(t, "PUT", "/login", nil), http.StatusMethodNotAllowed)
			html("413", b.send(t, "POST", "/login", big), http.StatusRequestEntityTooLarge)
			html("403", b.send(t, "POST", "/login", url.Values{"email": {"a@b.c"}}), http.StatusForbidden)

			rfc := func(name string, a pageAnswer, status int, code string) {
				t.Helper()
				var body map[string]any
				if a.status != status || json.Unmarshal([]byte(a.body), &body) != nil || body["error"] != code || body["success"] != nil {
					t.Errorf("protocol %s: %d %s", name, a.status, a.body)
				}
			}
			rfc("404", b.send(t, "GET", "/oauth2/nothing", nil), http.StatusNotFound, "not_found")
			rfc("404 discovery", b.send(t, "GET", "/.well-known/nothing", nil), http.StatusNotFound, "not_found")
			rfc("413", b.send(t, "POST", "/oauth2/token", big), http.StatusRequestEntityTooLarge, "invalid_request")

			for name, a := range map[string]pageAnswer{
				"404": b.send(t, "GET", "/api/v1/nothing", nil),
				"413": b.send(t, "POST", "/api/v1/auth/login", big),
			} {
				if e := envelopeOf(t, a); e.Success || e.Error == nil {
					t.Errorf("api %s: %s", name, a.body)
				}
			}
		})
	}
}

var pageInviteLink = regexp.MustCompile(`/invitations/accept\?token=([A-Za-z0-9_-]+)`)

// loggedLink polls the log mailer's output for a link matching re in a
// mail to to and returns its first group.
func loggedLink(t *testing.T, srv *apitest.Server, to string, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		sc := bufio.NewScanner(strings.NewReader(srv.Logs()))
		sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
		for sc.Scan() {
			var line struct {
				Msg, To, Body string
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && strings.HasPrefix(line.Msg, "mail written to the log") && line.To == to {
				if m := re.FindStringSubmatch(line.Body); m != nil {
					return m[1]
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mail to %s with %s within 15s", to, re)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestPages_AMailedPasswordResetLinkSetsANewPasswordThroughThePages(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend)
			email, password := newPageUser(t, srv, "reset")
			b := newPageBrowser(t, srv)
			b.signInPage(t, email, password, "")
			if b.session() == "" {
				t.Fatal("not signed in")
			}
			forgot := b.send(t, "GET", "/forgot-password", nil)
			sent := b.send(t, "POST", "/forgot-password", url.Values{"email": {email}, "csrf_token": {formToken(t, forgot)}})
			if sent.status != http.StatusOK || !strings.Contains(sent.body, "a link to choose a new password is on its way") {
				t.Fatalf("forgot: %d %s", sent.status, sent.body)
			}
			token := waitForLink(t, srv, email, "/reset-password", 1)
			form := b.send(t, "GET", "/reset-password?token="+url.QueryEscape(token), nil)
			if form.status != http.StatusOK {
				t.Fatalf("reset form: %d %s", form.status, form.body)
			}
			done := b.send(t, "POST", "/reset-password", url.Values{"token": {token}, "new_password": {"a brand new passphrase"},
				"confirm_password": {"a brand new passphrase"}, "csrf_token": {formToken(t, form)}})
			if done.status != http.StatusOK || !strings.Contains(done.body, "Your password is changed") || b.session() != "" {
				t.Fatalf("reset: %d %s (cookie %q)", done.status, done.body, b.session())
			}
			again := b.send(t, "POST", "/reset-password", url.Values{"token": {token}, "new_password": {"another passphrase 9"},
				"confirm_password": {"another passphrase 9"}, "csrf_token": {formToken(t, form)}})
			if again.status != http.StatusBadRequest || !strings.Contains(again.body, "This link was already used") {
				t.Fatalf("a second use: %d %s", again.status, again.body)
			}
			if a := b.signInPage(t, email, password, ""); a.status != http.StatusUnauthorized {
				t.Fatalf("the old password still works: %d", a.status)
			}
			if a := b.signInPage(t, email, "a brand new passphrase", ""); a.status != http.StatusSeeOther {
				t.Fatalf("the new password: %d %s", a.status, a.body)
			}
		})
	}
}

func TestPages_AnInvitationLinkSignsInThenAcceptsThroughThePage(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend)
			owner := signUp(t, srv, "pageowner")
			org := createOrg(t, srv, owner, map[string]any{"name": "Paged Corp"})
			email, password := newPageUser(t, srv, "pageinvitee")
			verifyEmailOf(t, srv, email)
			invite(t, srv, org.ID, owner, email, "admin")
			token := loggedLink(t, srv, email, pageInviteLink)

			b := newPageBrowser(t, srv)
			link := "/invitations/accept?token=" + token
			first := b.send(t, "GET", link, nil)
			if first.status != http.StatusSeeOther || first.header.Get("Location") != "/login?return_to="+url.QueryEscape(link) {
				t.Fatalf("signed out: %d %v", first.status, first.header)
			}
			in := b.signInPage(t, email, password, link)
			if in.status != http.StatusSeeOther || in.header.Get("Location") != link {
				t.Fatalf("sign-in back to the link: %d %v", in.status, in.header)
			}
			form := b.send(t, "GET", link, nil)
			if form.status != http.StatusOK || !strings.Contains(form.body, "Accept the invitation") {
				t.Fatalf("invitation page: %d %s", form.status, form.body)
			}
			done := b.send(t, "POST", "/invitations/accept", url.Values{"token": {token}, "csrf_token": {formToken(t, form)}})
			if done.status != http.StatusOK || !strings.Contains(done.body, "You are now a member of Paged Corp with the role admin.") {
				t.Fatalf("accept: %d %s", done.status, done.body)
			}
			again := b.send(t, "POST", "/invitations/accept", url.Values{"token": {token}, "csrf_token": {formToken(t, form)}})
			if again.status < 400 || !strings.Contains(again.body, "<!doctype html>") {
				t.Fatalf("a second use: %d %s", again.status, again.body)
			}
			if got := roleOf(members(t, srv, org.ID, owner), email); got != "active:admin" {
				t.Fatalf("membership %q", got)
			}
		})
	}
}
