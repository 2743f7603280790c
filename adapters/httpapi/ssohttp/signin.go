package ssohttp

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/domain/sso"
	"github.com/secuird/authy/ports/sessionsport"
	"github.com/secuird/authy/ports/ssoport"
)

// Sessions is what the sign-in routes need of the sessions context:
// signing out the browser's earlier session when a new sign-in replaces
// it.
type Sessions interface {
	sessionsport.Authenticator
	Logout(ctx context.Context, p sessionsport.Principal) error
}

// ReturnPolicy decides where a sign-in may send the browser (the pages'
// return_to rules, shared with social sign-in).
type ReturnPolicy interface {
	Check(raw string) (string, bool)
	Foreign(target string) bool
}

// SignInDeps are what the sign-in routes call.
type SignInDeps struct {
	Service  ssoport.SignIn
	Sessions Sessions
	Browser  *httpapi.Browser
	Returns  ReturnPolicy
}

// BindingCookie names the cookie binding an SSO sign-in to its browser
// ("__Host-" prefixed on https).
const BindingCookie = "authy_sso"

// StartPath is the start route of connection id (home-realm discovery and
// the sign-in page send the browser there).
func StartPath(id uuid.UUID) string { return "/api/v1/auth/sso/" + id.String() + "/start" }

const loginPage = "/login"

type signin struct{ SignInDeps }

// RegisterSignIn mounts home-realm discovery and the browser sign-in on r
// (the /api/v1 group). The start and callback routes are navigations: they
// answer with redirects only, a refusal going back to the sign-in page
// (or a single-page app's registered target) with ?error=<code>, so the
// person reads a page that explains it.
func RegisterSignIn(r fiber.Router, d SignInDeps) error {
	if d.Service == nil || d.Sessions == nil || d.Browser == nil || d.Returns == nil {
		return errors.New("ssohttp: the sign-in service, sessions, the cookie transport and the return policy are required")
	}
	h := signin{d}
	r.Post("/auth/sso/discover", h.discover)
	r.Get("/auth/sso/:connectionId/start", h.start)
	r.Get("/auth/sso/:connectionId/callback", h.callback)
	r.Post("/sso/saml/:connectionId/acs", h.acs)
	return nil
}

type discoverRequest struct {
	Email string `json:"email"`
}

type discoveredConnection struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Type     string `json:"type"`
	Enforce  bool   `json:"enforce"`
	StartURL string `json:"start_url"`
}

type discoverResponse struct {
	SSO        bool                  `json:"sso"`
	Connection *discoveredConnection `json:"connection"`
}

// maxDiscoverEmail bounds what discovery parses.
const maxDiscoverEmail = 320

func (h signin) discover(c *fiber.Ctx) error {
	var req discoverRequest
	if err := httpapi.Decode(c, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Email) == "" || len(req.Email) > maxDiscoverEmail {
		return shared.Invalid(sso.CodeInvalidInput, "the request has invalid fields", map[string][]string{"email": {"is required (at most 320 characters)"}})
	}
	d, err := h.Service.Discover(c.UserContext(), req.Email)
	if err != nil {
		return err
	}
	out := discoverResponse{}
	if d.Found {
		out.SSO = true
		out.Connection = &discoveredConnection{ID: d.ConnectionID.String(), Name: d.Name, Type: d.Type, Enforce: d.Enforce, StartURL: StartPath(d.ConnectionID)}
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return httpapi.OK(c, "home realm", out)
}

// flowBinding is the cookie binding a sign-in to its browser. A SAML
// identity provider posts its response back from its own site, so it
// travels with a cross-site POST (see httpapi.FlowBinding).
var flowBinding = httpapi.FlowBinding{Name: BindingCookie, Lifetime: sso.FlowLifetime + time.Minute, CrossSitePost: true}

func (h signin) binding(c *fiber.Ctx) (string, error) { return flowBinding.Bind(c, h.Browser) }

// signInConnection reads the connection id of a sign-in route: a
// malformed one is a connection that is not available.
func signInConnection(c *fiber.Ctx) uuid.UUID {
	raw := c.Params("connectionId")
	id, err := uuid.Parse(raw)
	if err != nil || len(raw) != 36 {
		return uuid.Nil
	}
	return id
}

// start sends the browser to the connection's identity provider. A
// return_to the policy refuses is dropped; one on a registered other
// origin makes the sign-in deliver a login code there.
func (h signin) start(c *fiber.Ctx) error {
	target, ok := h.Returns.Check(c.Query("return_to"))
	if !ok {
		target = ""
	}
	target = utils.CopyString(target)
	id := signInConnection(c)
	if id == uuid.Nil {
		return h.fail(c, target, sso.ErrSignInUnavailable)
	}
	binding, err := h.binding(c)
	if err != nil {
		return err
	}
	begun, err := h.Service.BeginSignIn(c.UserContext(), ssoport.BeginCommand{
		Connection: id, ReturnTo: target, Foreign: h.Returns.Foreign(target), Binding: binding,
	})
	if err != nil {
		return h.fail(c, target, err)
	}
	return h.away(c, begun.AuthorizationURL)
}

// callback completes the sign-in. A sign-in by cookie replaces the
// browser's earlier session (like /login).
func (h signin) callback(c *fiber.Ctx) error {
	id := signInConnection(c)
	if id == uuid.Nil {
		return h.fail(c, "", sso.ErrSignInUnavailable)
	}
	cmd := ssoport.CallbackCommand{
		Connection: id,
		State:      utils.CopyString(c.Query("state")),
		Code:       utils.CopyString(c.Query("code")),
		Error:      utils.CopyString(c.Query("error")),
		Binding:    flowBinding.Presented(c, h.Browser),
	}
	ctx := httpapi.WithCookieTransport(c.UserContext())
	res, err := h.Service.CompleteSignIn(ctx, cmd)
	return h.finish(c, ctx, res, err)
}

// acs is a SAML connection's assertion consumer service (HTTP-POST
// binding): the identity provider's response, posted by the browser.
func (h signin) acs(c *fiber.Ctx) error {
	id := signInConnection(c)
	if id == uuid.Nil {
		return h.fail(c, "", sso.ErrSignInUnavailable)
	}
	cmd := ssoport.SAMLCommand{
		Connection:   id,
		RelayState:   utils.CopyString(c.FormValue("RelayState")),
		SAMLResponse: utils.CopyString(c.FormValue("SAMLResponse")),
		Binding:      flowBinding.Presented(c, h.Browser),
	}
	ctx := httpapi.WithCookieTransport(c.UserContext())
	res, err := h.Service.CompleteSAML(ctx, cmd)
	return h.finish(c, ctx, res, err)
}

// finish delivers a completed sign-in: a login code to a registered other
// origin, else the session cookie (replacing the browser's earlier
// session, as /login does) and the return target.
func (h signin) finish(c *fiber.Ctx, ctx context.Context, res ssoport.Completion, err error) error {
	if err != nil {
		return h.fail(c, res.ReturnTo, err)
	}
	if res.Foreign {
		return h.away(c, withParam(res.ReturnTo, "login_code", res.LoginCode))
	}
	if res.MFA != nil {
		// The code step of /login completes it; the challenge alone signs
		// nobody in (it needs the code, from this client, within minutes).
		step := withParam("/login/mfa", "challenge", res.MFA.Token)
		if res.ReturnTo != "" {
			step = withParam(step, "return_to", res.ReturnTo)
		}
		return h.away(c, step)
	}
	if token, ok := h.Browser.SessionToken(c); ok {
		if p, err := h.Sessions.Authenticate(ctx, token); err == nil {
			if err := h.Sessions.Logout(ctx, p); err != nil && shared.KindOf(err) != shared.KindUnauthenticated {
				return err
			}
		}
	}
	h.Browser.SetSession(c, res.Session.Token, res.Session.Session.AbsoluteExpiresAt)
	to := res.ReturnTo
	if to == "" {
		to = "/account"
	}
	return h.away(c, httpapi.AfterSignIn(res.Session, to))
}

// away redirects the browser without caching and without a Referer.
func (h signin) away(c *fiber.Ctx, target string) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("Referrer-Policy", "no-referrer")
	return c.Redirect(target, fiber.StatusSeeOther)
}

// errorCode is what a refusal's redirect says: the sso codes as they are,
// a rate limit as sso.rate_limited, an address taken meanwhile as
// sso.account_exists. Anything else is not the person's to read (ok false:
// the error handler answers it).
func errorCode(err error) (string, bool) {
	var se *shared.Error
	if !errors.As(err, &se) {
		return "", false
	}
	switch {
	case strings.HasPrefix(se.Code(), "sso."):
		return se.Code(), true
	case se.Kind() == shared.KindRateLimited:
		return sso.CodeStartRateLimited, true
	case se.Code() == "identity.email_taken":
		return sso.CodeAccountExists, true
	case se.Kind() == shared.KindInvalid:
		return sso.CodeProviderError, true
	}
	return "", false
}

// fail sends the browser where the refusal is explained: a single-page
// app's registered target, else the sign-in page (keeping the target).
func (h signin) fail(c *fiber.Ctx, target string, err error) error {
	code, ok := errorCode(err)
	if !ok {
		return err
	}
	if target != "" && h.Returns.Foreign(target) {
		return h.away(c, withParam(target, "error", code))
	}
	to := loginPage + "?error=" + url.QueryEscape(code)
	if target != "" {
		to += "&return_to=" + url.QueryEscape(target)
	}
	return h.away(c, to)
}

// withParam adds name=value to target's query.
func withParam(target, name, value string) string {
	u, err := url.Parse(target)
	if err != nil {
		return target
	}
	q := u.Query()
	q.Set(name, value)
	u.RawQuery = q.Encode()
	return u.String()
}
