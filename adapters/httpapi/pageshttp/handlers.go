package pageshttp

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/organizationsport"
	"github.com/secuird/authy/ports/sessionsport"
)

// Identity is what the pages need of the identity context.
type Identity interface {
	Login(ctx context.Context, cmd identityport.LoginCommand) (identityport.LoginResult, error)
	Me(ctx context.Context, p sessionsport.Principal) (identityport.UserView, error)
	VerifyEmail(ctx context.Context, cmd identityport.VerifyEmailCommand) (identityport.EmailConfirmed, error)
	ForgotPassword(ctx context.Context, cmd identityport.ForgotPasswordCommand) error
	ResetPassword(ctx context.Context, cmd identityport.ResetPasswordCommand) (identityport.PasswordReset, error)
}

// Sessions is what the pages need of the sessions context.
type Sessions interface {
	sessionsport.Authenticator
	Logout(ctx context.Context, p sessionsport.Principal) error
}

// Invitations is what the invitation page needs of the organizations
// context.
type Invitations interface {
	AcceptInvitationByToken(ctx context.Context, actor shared.UserID, token string) (organizationsport.OrganizationView, error)
}

// Deps are what the pages call and render with.
type Deps struct {
	Identity    Identity
	Sessions    Sessions
	Invitations Invitations
	Browser     *httpapi.Browser
	Pages       *Pages
	Returns     ReturnPolicy
	// Providers are the external sign-in providers /login offers (nil:
	// none).
	Providers Providers
	// Continuations are the flows parked while the browser signs in (nil:
	// none).
	Continuations Continuations
	// MFA completes sign-ins that need a second factor (nil: no account
	// is asked for one).
	MFA SecondFactor
	// SSO is home-realm discovery: /login offers "Continue with SSO" (nil:
	// no SSO).
	SSO SSODiscovery
	// Passkeys, when set, makes /login offer "Sign in with a passkey".
	Passkeys Passkeys
	// Factors, when set, serves the account's security page (second
	// factors and recovery codes); PasskeyAccount adds its passkeys, and
	// Enrolment the organizations that require a factor the user has not
	// enrolled.
	Factors        Factors
	PasskeyAccount PasskeyAccount
	Enrolment      sessionsport.EnrolmentPolicy
}

type handlers struct {
	Deps
	group fiber.Handler
}

// Register mounts the pages on r (the application root), each route behind
// the page group's middleware: its errors are HTML pages and its answers
// carry the pages' CSP.
func Register(r fiber.Router, d Deps) error {
	if d.Identity == nil || d.Sessions == nil || d.Invitations == nil || d.Browser == nil || d.Pages == nil {
		return errors.New("pageshttp: identity, sessions, invitations, the cookie transport and the pages are required")
	}
	h := handlers{Deps: d, group: httpapi.GroupMiddleware(d.Pages.Group())}
	r.Get(stylesheetPath, h.group, serveStylesheet)
	r.Get("/login", h.group, h.loginForm)
	if d.Passkeys != nil {
		r.Get(passkeyScriptPath, h.group, servePasskeyScript)
		r.Post("/login/passkey", h.group, h.loginPasskey)
	}
	r.Post("/login", h.group, h.login)
	if d.SSO != nil {
		r.Post("/login/sso", h.group, h.loginSSO)
	}
	if d.MFA != nil {
		r.Get("/login/mfa", h.group, h.loginMFAForm)
		r.Post("/login/mfa", h.group, h.loginMFA)
	}
	r.Get("/account", h.group, h.account)
	if d.Factors != nil {
		r.Get(httpapi.SecurityPage, h.group, h.security)
		r.Post(httpapi.SecurityPage+"/totp", h.group, h.startTOTP)
		r.Post(httpapi.SecurityPage+"/totp/confirm", h.group, h.confirmTOTP)
		r.Post(httpapi.SecurityPage+"/recovery-codes", h.group, h.regenerateCodes)
		r.Post(httpapi.SecurityPage+"/factors/remove", h.group, h.removeFactor)
		r.Post(httpapi.SecurityPage+"/verify", h.group, h.verifyFactor)
		r.Post(httpapi.SecurityPage+"/reauthenticate", h.group, h.reauthenticate)
		if d.PasskeyAccount != nil {
			r.Get(securityScriptPath, h.group, serveSecurityScript)
			r.Post(httpapi.SecurityPage+"/passkeys/rename", h.group, h.renamePasskey)
			r.Post(httpapi.SecurityPage+"/passkeys/remove", h.group, h.removePasskey)
		}
	}
	r.Get("/logout", h.group, h.logoutForm)
	r.Post("/logout", h.group, h.logout)
	r.Get("/invitations/accept", h.group, h.invitationForm)
	r.Post("/invitations/accept", h.group, h.acceptInvitation)
	r.Get("/verify-email", h.group, h.verifyForm)
	r.Post("/verify-email", h.group, h.verify)
	r.Get("/forgot-password", h.group, h.forgotForm)
	r.Post("/forgot-password", h.group, h.forgot)
	r.Get("/reset-password", h.group, h.resetForm)
	r.Post("/reset-password", h.group, h.reset)
	return nil
}

// signedIn returns the principal of the browser's session cookie. A cookie
// that no longer opens a session is cleared and reads as signed out; a
// store or limiter that cannot answer is an error page.
func (h handlers) signedIn(c *fiber.Ctx) (sessionsport.Principal, bool, error) {
	token, ok := h.Browser.SessionToken(c)
	if !ok {
		return sessionsport.Principal{}, false, nil
	}
	p, err := h.Sessions.Authenticate(c.UserContext(), token)
	if shared.KindOf(err) == shared.KindUnauthenticated {
		h.Browser.ClearSession(c)
		return sessionsport.Principal{}, false, nil
	}
	if err != nil {
		return sessionsport.Principal{}, false, err
	}
	c.SetUserContext(httpapi.WithCookieTransport(c.UserContext()))
	return p, true, nil
}

// toLogin sends a signed-out browser to the sign-in page, which returns
// it to here (the path and query it asked for) afterwards.
func toLogin(c *fiber.Ctx) error {
	here := c.OriginalURL()
	return c.Redirect("/login?return_to="+url.QueryEscape(here), fiber.StatusSeeOther)
}

// redirect sends the browser on with 303, so the next request is a GET.
func redirect(c *fiber.Ctx, target string) error {
	return c.Redirect(target, fiber.StatusSeeOther)
}

// returnTarget checks a return_to with the policy and, on a path reserved
// for parked flows, accepts only a flow this browser parked.
func (h handlers) returnTarget(c *fiber.Ctx, raw string) (string, *Continuation) {
	target, _ := h.Returns.Check(raw)
	if target == "" || h.Continuations == nil || !h.Continuations.Owns(target) {
		return target, nil
	}
	if cont, ok := h.Continuations.Lookup(c, target); ok {
		return target, &cont
	}
	return "", nil
}

// loginForm shows the sign-in form, or sends a browser already signed in
// where it was going. A parked flow came here because it needs a sign-in
// (none yet, or a newer one than the session's), so it gets the form.
func (h handlers) loginForm(c *fiber.Ctx) error {
	target, cont := h.returnTarget(c, c.Query("return_to"))
	if _, ok, err := h.signedIn(c); err != nil {
		return err
	} else if ok && cont == nil {
		return redirect(c, Or(target))
	}
	email := ""
	if cont != nil {
		email = cont.LoginHint
	}
	return h.renderLogin(c, fiber.StatusOK, target, email, flowError(c, messages(c)), nil)
}

func (h handlers) renderLogin(c *fiber.Ctx, status int, target, email, problem string, fields map[string]string) error {
	return h.renderLoginWith(c, status, target, email, problem, fields, nil)
}

// renderLoginSSO is the sign-in page showing the way on to a connection.
func (h handlers) renderLoginSSO(c *fiber.Ctx, status int, target, email, problem string, sso *ssoLink) error {
	return h.renderLoginWith(c, status, target, email, problem, nil, sso)
}

func (h handlers) renderLoginWith(c *fiber.Ctx, status int, target, email, problem string, fields map[string]string, sso *ssoLink) error {
	var formTargets []string
	if _, cont := h.returnTarget(c, target); cont != nil {
		formTargets = cont.FormTargets
	}
	token, err := h.Browser.LoginCSRF(c)
	if err != nil {
		return err
	}
	m := messages(c)
	return h.Pages.render(c, status, "login", view{
		M: m, Title: m.T("login.title"), CSRF: token, ReturnTo: target, Email: email, Error: problem, Fields: fields,
		Providers: h.providerLinks(c, m, target), FormTargets: formTargets, SSOOffered: h.SSO != nil, SSO: sso,
		Passkeys: h.Passkeys != nil,
	})
}

// login signs in with identity's Login use case and puts the new session
// in the cookie: a new token at every sign-in, and the browser's previous
// session, if any, ends, so no token set before sign-in survives it.
func (h handlers) login(c *fiber.Ctx) error {
	f, err := httpapi.DecodeForm(c, "email", "password", httpapi.FieldCSRFToken, "return_to")
	if err != nil {
		return err
	}
	if err := h.Browser.CheckLoginCSRF(c, f.Get(httpapi.FieldCSRFToken)); err != nil {
		return err
	}
	target, _ := h.returnTarget(c, f.Get("return_to"))
	previous, hadSession, err := h.signedIn(c)
	if err != nil {
		return err
	}
	ctx := httpapi.WithCookieTransport(c.UserContext())
	res, err := h.Identity.Login(ctx, identityport.LoginCommand{Email: f.Get("email"), Password: f.Get("password")})
	m := messages(c)
	switch kind := shared.KindOf(err); {
	case err == nil:
	case kind == shared.KindUnauthenticated:
		return h.renderLogin(c, fiber.StatusUnauthorized, target, f.Get("email"), m.T("login.invalid_credentials"), nil)
	case kind == shared.KindInvalid:
		return h.renderLogin(c, fiber.StatusBadRequest, target, f.Get("email"), m.T("form.errors"), fieldMessages(m, err))
	case codeOf(err) == codeSSORequired:
		// The refusal shows the way on: the organization's connection.
		var link *ssoLink
		if d, derr := h.discoverSSO(c, f.Get("email")); derr == nil && d.Found {
			link = ssoLinkFor(m, d, target)
		}
		return h.renderLoginSSO(c, fiber.StatusForbidden, target, f.Get("email"), m.T("error.code.sso.required"), link)
	default:
		return err
	}
	if res.MFA != nil {
		if h.MFA == nil {
			return errors.New("pageshttp: a sign-in needs a second factor and no code step is wired")
		}
		return h.renderMFA(c, fiber.StatusOK, target, res.MFA.Token, "")
	}
	if hadSession {
		// The browser's earlier session ends with this sign-in; one that
		// ended meanwhile is fine.
		if err := h.Sessions.Logout(ctx, previous); err != nil && shared.KindOf(err) != shared.KindUnauthenticated {
			return err
		}
	}
	// The pre-session cookie stays: a sign-in form still open in another
	// tab keeps working (and its sign-in, too, ends this session).
	h.Browser.SetSession(c, res.Session.Token, res.Session.Session.AbsoluteExpiresAt)
	return redirect(c, httpapi.AfterSignIn(res.Session, Or(target)))
}

// account is the signed-in page: who you are, how you signed in, and the
// sign-out button.
func (h handlers) account(c *fiber.Ctx) error {
	p, ok, err := h.signedIn(c)
	if err != nil {
		return err
	}
	if !ok {
		return toLogin(c)
	}
	u, err := h.Identity.Me(c.UserContext(), p)
	if err != nil {
		return err
	}
	m := messages(c)
	csrf := h.Browser.CSRFToken(p.SessionID)
	return h.Pages.render(c, fiber.StatusOK, "account", view{
		M: m, Title: m.T("account.title"), CSRF: csrf, SessionCSRF: csrf, Account: accountOf(m, u, p),
		Error: flowError(c, m), SecurityLink: h.Factors != nil,
	})
}

func accountOf(m Messages, u identityport.UserView, p sessionsport.Principal) accountView {
	method := p.Method.Name()
	if key := "method." + p.Method.Kind(); m.Has(key) {
		method = m.T(key)
	}
	return accountView{Name: u.Name, Email: u.Email, Verified: u.EmailVerified, Method: method,
		AuthTime: p.AuthTime.UTC().Format(time.RFC3339)}
}

// logoutForm asks a signed-in browser to confirm; a signed-out one is told
// it is signed out. Signing out changes state, so it is a POST only.
func (h handlers) logoutForm(c *fiber.Ctx) error {
	p, ok, err := h.signedIn(c)
	if err != nil {
		return err
	}
	m := messages(c)
	v := view{M: m, Title: m.T("logout.title")}
	if ok {
		v.CSRF = h.Browser.CSRFToken(p.SessionID)
		v.SessionCSRF = v.CSRF
	} else {
		v.Title = m.T("logout.done_title")
	}
	return h.Pages.render(c, fiber.StatusOK, "logout", v)
}

// logout ends the browser's session and clears its cookie. A browser with
// no session is simply signed out already.
func (h handlers) logout(c *fiber.Ctx) error {
	f, err := httpapi.DecodeForm(c, httpapi.FieldCSRFToken)
	if err != nil {
		return err
	}
	p, ok, err := h.signedIn(c)
	if err != nil {
		return err
	}
	if ok {
		if err := h.Browser.CheckCSRF(p, f.Get(httpapi.FieldCSRFToken)); err != nil {
			return err
		}
		if err := h.Sessions.Logout(c.UserContext(), p); err != nil && shared.KindOf(err) != shared.KindUnauthenticated {
			return err
		}
	}
	h.Browser.ClearSession(c)
	return redirect(c, "/logout")
}

// invitationForm shows the invitation of a mailed link to the signed-in
// user, with the button that accepts it (a GET never accepts: mail
// scanners open links).
func (h handlers) invitationForm(c *fiber.Ctx) error {
	token := c.Query("token")
	m := messages(c)
	if token == "" {
		return h.notice(c, fiber.StatusBadRequest, m.T("invitation.title"), m.T("invitation.missing"), nil)
	}
	p, ok, err := h.signedIn(c)
	if err != nil {
		return err
	}
	if !ok {
		return toLogin(c)
	}
	u, err := h.Identity.Me(c.UserContext(), p)
	if err != nil {
		return err
	}
	csrf := h.Browser.CSRFToken(p.SessionID)
	return h.Pages.render(c, fiber.StatusOK, "invitation", view{
		M: m, Title: m.T("invitation.title"), CSRF: csrf, SessionCSRF: csrf, Token: token, Account: accountOf(m, u, p),
	})
}

// acceptInvitation accepts the invitation of the form's token for the
// signed-in user (the organizations context checks it is theirs).
func (h handlers) acceptInvitation(c *fiber.Ctx) error {
	f, err := httpapi.DecodeForm(c, "token", httpapi.FieldCSRFToken)
	if err != nil {
		return err
	}
	p, ok, err := h.signedIn(c)
	if err != nil {
		return err
	}
	if !ok {
		return redirect(c, "/login?return_to="+url.QueryEscape("/invitations/accept?token="+url.QueryEscape(f.Get("token"))))
	}
	if err := h.Browser.CheckCSRF(p, f.Get(httpapi.FieldCSRFToken)); err != nil {
		return err
	}
	m := messages(c)
	if f.Get("token") == "" {
		return h.notice(c, fiber.StatusBadRequest, m.T("invitation.title"), m.T("invitation.missing"), nil)
	}
	org, err := h.Invitations.AcceptInvitationByToken(c.UserContext(), p.UserID, f.Get("token"))
	if err != nil {
		return err
	}
	return h.notice(c, fiber.StatusOK, m.T("invitation.done_title"), m.F("invitation.done", org.Name, org.Role),
		&link{Href: "/account", Text: m.T("invitation.account")})
}

// verifyForm shows the button that confirms the email address of a mailed
// link. Opening the link spends nothing (mail scanners open links); the
// button's POST does.
func (h handlers) verifyForm(c *fiber.Ctx) error {
	m := messages(c)
	token := c.Query("token")
	if token == "" {
		return h.notice(c, fiber.StatusBadRequest, m.T("verify.title"), m.T("verify.missing"), nil)
	}
	csrf, err := h.Browser.LoginCSRF(c)
	if err != nil {
		return err
	}
	return h.Pages.render(c, fiber.StatusOK, "verify_email", view{M: m, Title: m.T("verify.title"), CSRF: csrf, Token: token})
}

// verify spends a verification or email change link.
func (h handlers) verify(c *fiber.Ctx) error {
	f, err := httpapi.DecodeForm(c, "token", httpapi.FieldCSRFToken)
	if err != nil {
		return err
	}
	if err := h.Browser.CheckLoginCSRF(c, f.Get(httpapi.FieldCSRFToken)); err != nil {
		return err
	}
	m := messages(c)
	if f.Get("token") == "" {
		return h.notice(c, fiber.StatusBadRequest, m.T("verify.title"), m.T("verify.missing"), nil)
	}
	res, err := h.Identity.VerifyEmail(c.UserContext(), identityport.VerifyEmailCommand{Token: f.Get("token")})
	if err != nil {
		return err
	}
	text := m.F("verify.done", res.Email)
	if res.Changed {
		text = m.F("verify.changed", res.Email)
	}
	text += unlinkedNotice(m, res.Unlinked)
	return h.notice(c, fiber.StatusOK, m.T("verify.done_title"), text, &link{Href: "/account", Text: m.T("verify.continue")})
}

// forgotForm asks for the address a reset link goes to.
func (h handlers) forgotForm(c *fiber.Ctx) error {
	return h.renderForgot(c, fiber.StatusOK, "", "", nil)
}

func (h handlers) renderForgot(c *fiber.Ctx, status int, email, problem string, fields map[string]string) error {
	csrf, err := h.Browser.LoginCSRF(c)
	if err != nil {
		return err
	}
	m := messages(c)
	return h.Pages.render(c, status, "forgot_password", view{
		M: m, Title: m.T("forgot.title"), CSRF: csrf, Email: email, Error: problem, Fields: fields,
	})
}

// forgot asks for a reset link; the answer is the same whether or not an
// account has the address (the use case makes the work the same too).
func (h handlers) forgot(c *fiber.Ctx) error {
	f, err := httpapi.DecodeForm(c, "email", httpapi.FieldCSRFToken)
	if err != nil {
		return err
	}
	if err := h.Browser.CheckLoginCSRF(c, f.Get(httpapi.FieldCSRFToken)); err != nil {
		return err
	}
	m := messages(c)
	err = h.Identity.ForgotPassword(c.UserContext(), identityport.ForgotPasswordCommand{Email: f.Get("email")})
	if shared.KindOf(err) == shared.KindInvalid {
		return h.renderForgot(c, fiber.StatusBadRequest, f.Get("email"), m.T("form.errors"), fieldMessages(m, err))
	}
	if err != nil {
		return err
	}
	return h.notice(c, fiber.StatusOK, m.T("forgot.done_title"), m.F("forgot.done", f.Get("email")),
		&link{Href: "/login", Text: m.T("forgot.back")})
}

// resetForm shows the new-password form of a mailed reset link.
func (h handlers) resetForm(c *fiber.Ctx) error {
	m := messages(c)
	token := c.Query("token")
	if token == "" {
		return h.notice(c, fiber.StatusBadRequest, m.T("reset.title"), m.T("reset.missing"), nil)
	}
	return h.renderReset(c, fiber.StatusOK, token, "", nil)
}

func (h handlers) renderReset(c *fiber.Ctx, status int, token, problem string, fields map[string]string) error {
	csrf, err := h.Browser.LoginCSRF(c)
	if err != nil {
		return err
	}
	m := messages(c)
	return h.Pages.render(c, status, "reset_password", view{
		M: m, Title: m.T("reset.title"), CSRF: csrf, Token: token, Error: problem, Fields: fields,
	})
}

// reset sets the password of a reset link. Every session of the account
// ends, this browser's too, so its cookie goes.
func (h handlers) reset(c *fiber.Ctx) error {
	f, err := httpapi.DecodeForm(c, "token", "new_password", "confirm_password", httpapi.FieldCSRFToken)
	if err != nil {
		return err
	}
	if err := h.Browser.CheckLoginCSRF(c, f.Get(httpapi.FieldCSRFToken)); err != nil {
		return err
	}
	m := messages(c)
	token := f.Get("token")
	if token == "" {
		return h.notice(c, fiber.StatusBadRequest, m.T("reset.title"), m.T("reset.missing"), nil)
	}
	if f.Get("new_password") != f.Get("confirm_password") {
		return h.renderReset(c, fiber.StatusBadRequest, token, m.T("form.errors"),
			map[string]string{"confirm_password": m.T("password.mismatch")})
	}
	res, err := h.Identity.ResetPassword(c.UserContext(), identityport.ResetPasswordCommand{Token: token, NewPassword: f.Get("new_password")})
	if shared.KindOf(err) == shared.KindInvalid {
		return h.renderReset(c, fiber.StatusBadRequest, token, m.T("form.errors"), fieldMessages(m, err))
	}
	if err != nil {
		return err
	}
	h.Browser.ClearSession(c)
	return h.notice(c, fiber.StatusOK, m.T("reset.done_title"), m.T("reset.done")+unlinkedNotice(m, res.Unlinked),
		&link{Href: "/login", Text: m.T("reset.sign_in")})
}

// unlinkedNotice tells the owner who just proved the address which
// sign-in providers a proof removed ("" when none), so a sign-in that
// stops working is explained and a stranger's is seen.
func unlinkedNotice(m Messages, list []identityport.UnlinkedIdentity) string {
	if len(list) == 0 {
		return ""
	}
	names := make([]string, 0, len(list))
	for _, u := range list {
		names = append(names, u.DisplayName)
	}
	return " " + m.F("verify.unlinked", strings.Join(names, ", "))
}

// notice renders a short message page.
func (h handlers) notice(c *fiber.Ctx, status int, title, text string, l *link) error {
	return h.Pages.render(c, status, "notice", view{M: messages(c), Title: title, Text: text, Link: l})
}

// reasonKeys maps the validation reasons the use cases give (English, part
// of the API) to catalogue keys; an unknown reason shows field.invalid.
var reasonKeys = map[string]string{
	"is required":                                       "field.required",
	"is too long":                                       "field.too_long",
	"must be at least 8 characters":                     "password.too_short",
	"must be at most 128 characters":                    "password.too_long",
	"must not be your email address":                    "password.is_email",
	"must not contain control characters":               "password.control",
	"is too common; choose a less predictable password": "password.too_common",
	"must differ from the current password":             "password.new_differs",
}

// fieldMessages translates a validation error's per-field reasons.
func fieldMessages(m Messages, err error) map[string]string {
	var se *shared.Error
	if !errors.As(err, &se) {
		return nil
	}
	out := map[string]string{}
	for field, reasons := range se.Fields() {
		texts := make([]string, 0, len(reasons))
		for _, r := range reasons {
			key, ok := reasonKeys[r]
			if !ok {
				key = "field.invalid"
				if field == "email" {
					key = "field.email"
				}
			}
			texts = append(texts, m.T(key))
		}
		out[field] = strings.Join(texts, " ")
	}
	return out
}
