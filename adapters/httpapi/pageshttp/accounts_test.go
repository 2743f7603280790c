package pageshttp_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
)

// links is the fake identity's side of the mailed links: valid tokens,
// and what was asked.
type links struct {
	verified  []string
	forgot    []string
	resets    []identityport.ResetPasswordCommand
	forgotErr error
}

var (
	errTokenUsed    = shared.BadRequest("identity.token_used", "the link was already used or replaced by a newer one")
	errTokenExpired = shared.BadRequest("identity.token_expired", "the link has expired; request a new one")
)

func (w *world) VerifyEmail(_ context.Context, cmd identityport.VerifyEmailCommand) (identityport.EmailConfirmed, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch cmd.Token {
	case "verify-ok":
		w.links.verified = append(w.links.verified, cmd.Token)
		return identityport.EmailConfirmed{UserID: w.user.ID, Email: "bob@example.com"}, nil
	case "change-ok":
		return identityport.EmailConfirmed{UserID: w.user.ID, Email: "new<b>@example.com", Changed: true, SessionsRevoked: 2}, nil
	case "unlinks":
		return identityport.EmailConfirmed{UserID: w.user.ID, Email: "bob@example.com", SessionsRevoked: 1,
			Unlinked: []identityport.UnlinkedIdentity{{Provider: "microsoft", DisplayName: "Microsoft"}, {Provider: "acme", DisplayName: "Acme <SSO>"}}}, nil
	case "used":
		return identityport.EmailConfirmed{}, errTokenUsed
	}
	return identityport.EmailConfirmed{}, errTokenExpired
}

func (w *world) ForgotPassword(_ context.Context, cmd identityport.ForgotPasswordCommand) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.links.forgotErr != nil {
		return w.links.forgotErr
	}
	if !strings.Contains(cmd.Email, "@") {
		return shared.Invalid("identity.invalid_input", "the request has invalid fields", map[string][]string{"email": {"must be a valid email address"}})
	}
	w.links.forgot = append(w.links.forgot, cmd.Email)
	return nil
}

func (w *world) ResetPassword(_ context.Context, cmd identityport.ResetPasswordCommand) (identityport.PasswordReset, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if cmd.Token != "reset-ok" {
		return identityport.PasswordReset{}, errTokenUsed
	}
	if len(cmd.NewPassword) < 8 {
		return identityport.PasswordReset{}, shared.Invalid("identity.invalid_input", "the request has invalid fields",
			map[string][]string{"new_password": {"must be at least 8 characters"}})
	}
	w.links.resets = append(w.links.resets, cmd)
	w.sessions = map[string]sessionsPrincipal{}
	return identityport.PasswordReset{SessionsRevoked: 1}, nil
}

// formOf opens path and returns its CSRF token and pre-session cookie.
func (s *site) formOf(t *testing.T, path string) (string, *http.Cookie, page) {
	t.Helper()
	p := s.do(t, "GET", path, nil)
	if p.status != 200 {
		t.Fatalf("GET %s: %d %s", path, p.status, p.body)
	}
	noScriptNoStyle(t, p)
	return p.csrf(t), p.cookies["authy_csrf"], p
}

func TestVerifyEmailPage_OpeningTheLinkSpendsNothingTheButtonConfirms(t *testing.T) {
	s := newSite(t)
	token, pre, p := s.formOf(t, "/verify-email?token=verify-ok")
	if !strings.Contains(p.body, `<input type="hidden" name="token" value="verify-ok">`) || len(s.world.links.verified) != 0 {
		t.Fatalf("the GET must only show the button: %s (verified %v)", p.body, s.world.links.verified)
	}
	if bad := s.do(t, "POST", "/verify-email", url.Values{"token": {"verify-ok"}}, pre); bad.status != 403 || len(s.world.links.verified) != 0 {
		t.Fatalf("without the form's token: %d", bad.status)
	}
	done := s.do(t, "POST", "/verify-email", url.Values{"token": {"verify-ok"}, "csrf_token": {token}}, pre)
	if done.status != 200 || !strings.Contains(done.body, "bob@example.com is confirmed.") || len(s.world.links.verified) != 1 {
		t.Fatalf("%d %s", done.status, done.body)
	}
	changed := s.do(t, "POST", "/verify-email", url.Values{"token": {"change-ok"}, "csrf_token": {token}}, pre)
	if changed.status != 200 || !strings.Contains(changed.body, "Your account now uses new&lt;b&gt;@example.com.") {
		t.Fatalf("%d %s", changed.status, changed.body)
	}
	for tok, want := range map[string]string{"used": "This link was already used", "old": "This link has expired"} {
		p := s.do(t, "POST", "/verify-email", url.Values{"token": {tok}, "csrf_token": {token}}, pre)
		if p.status != 400 || !strings.Contains(p.body, want) || strings.Contains(p.body, `"success"`) {
			t.Errorf("%s: %d %s", tok, p.status, p.body)
		}
		noScriptNoStyle(t, p)
	}
	if missing := s.do(t, "GET", "/verify-email", nil); missing.status != 400 || !strings.Contains(missing.body, "This link is incomplete") {
		t.Fatalf("%d %s", missing.status, missing.body)
	}
	unlinks := s.do(t, "POST", "/verify-email", url.Values{"token": {"unlinks"}, "csrf_token": {token}}, pre)
	if unlinks.status != 200 || !strings.Contains(unlinks.body, "sign-in through Microsoft, Acme &lt;SSO&gt; was removed from this account") {
		t.Fatalf("the page must say which sign-ins the proof removed: %d %s", unlinks.status, unlinks.body)
	}
	if strings.Contains(done.body, "was removed") {
		t.Fatal("a proof that removed nothing says it did")
	}
}

func TestForgotPasswordPage_AnswersEveryAddressAlikeAndMarksABadOne(t *testing.T) {
	s := newSite(t)
	token, pre, p := s.formOf(t, "/forgot-password")
	if !strings.Contains(p.body, `<label for="email">Email address</label>`) {
		t.Fatalf("%s", p.body)
	}
	if bad := s.do(t, "POST", "/forgot-password", url.Values{"email": {"bob@example.com"}}, pre); bad.status != 403 || len(s.world.links.forgot) != 0 {
		t.Fatalf("without the form's token: %d", bad.status)
	}
	var answers []string
	for _, email := range []string{"bob@example.com", "nobody@example.com"} {
		p := s.do(t, "POST", "/forgot-password", url.Values{"email": {email}, "csrf_token": {token}}, pre)
		if p.status != 200 {
			t.Fatalf("%s: %d %s", email, p.status, p.body)
		}
		answers = append(answers, strings.ReplaceAll(p.body, email, "ADDRESS"))
	}
	if answers[0] != answers[1] || !strings.Contains(answers[0], "If an account uses ADDRESS") {
		t.Fatalf("a known and an unknown address must get the same page:\n%s\n%s", answers[0], answers[1])
	}
	invalid := s.do(t, "POST", "/forgot-password", url.Values{"email": {"not-an-address"}, "csrf_token": {token}}, pre)
	if invalid.status != 400 || !strings.Contains(invalid.body, "Enter a valid email address.") || !strings.Contains(invalid.body, `value="not-an-address"`) {
		t.Fatalf("%d %s", invalid.status, invalid.body)
	}
	s.world.links.forgotErr = shared.RateLimited("identity.password_reset_rate_limited", "slow", 0)
	limited := s.do(t, "POST", "/forgot-password", url.Values{"email": {"bob@example.com"}, "csrf_token": {token}}, pre)
	if limited.status != 429 || !strings.Contains(limited.body, "Too many reset requests") {
		t.Fatalf("%d %s", limited.status, limited.body)
	}
}

func TestResetPasswordPage_SetsThePasswordEndsTheCookieAndMarksProblems(t *testing.T) {
	s := newSite(t)
	session := s.signIn(t)
	token, pre, p := s.formOf(t, "/reset-password?token=reset-ok")
	for _, want := range []string{`<label for="new_password">New password</label>`, `autocomplete="new-password"`,
		`<label for="confirm_password">Repeat the new password</label>`, `<input type="hidden" name="token" value="reset-ok">`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the form lacks %s", want)
		}
	}
	post := func(tok, pw, confirm string, csrf ...string) page {
		f := url.Values{"token": {tok}, "new_password": {pw}, "confirm_password": {confirm}}
		if len(csrf) > 0 {
			f.Set("csrf_token", csrf[0])
		}
		return s.do(t, "POST", "/reset-password", f, pre, session)
	}
	if bad := post("reset-ok", "a new secret", "a new secret"); bad.status != 403 || len(s.world.links.resets) != 0 {
		t.Fatalf("without the form's token: %d", bad.status)
	}
	if mism := post("reset-ok", "a new secret", "another one", token); mism.status != 400 || !strings.Contains(mism.body, "The two passwords differ.") ||
		strings.Contains(mism.body, "a new secret") || len(s.world.links.resets) != 0 {
		t.Fatalf("mismatch: %d %s", mism.status, mism.body)
	}
	if short := post("reset-ok", "short", "short", token); short.status != 400 || !strings.Contains(short.body, "Use at least 8 characters.") ||
		!strings.Contains(short.body, `aria-invalid="true"`) {
		t.Fatalf("policy: %d %s", short.status, short.body)
	}
	if used := post("used-token", "a new secret", "a new secret", token); used.status != 400 || !strings.Contains(used.body, "This link was already used") {
		t.Fatalf("used: %d %s", used.status, used.body)
	}
	done := post("reset-ok", "a new secret", "a new secret", token)
	if done.status != 200 || !strings.Contains(done.body, "Your password is changed") || !strings.Contains(done.body, `<a href="/login">`) {
		t.Fatalf("%d %s", done.status, done.body)
	}
	if c := done.cookies["authy_session"]; c == nil || c.Value != "" {
		t.Fatalf("the session cookie stays after a reset: %v", done.cookies)
	}
	if len(s.world.links.resets) != 1 || s.world.links.resets[0].NewPassword != "a new secret" {
		t.Fatalf("resets %v", s.world.links.resets)
	}
	if missing := s.do(t, "GET", "/reset-password", nil); missing.status != 400 {
		t.Fatalf("no token: %d", missing.status)
	}
}
