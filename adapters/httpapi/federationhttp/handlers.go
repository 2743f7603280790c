// Package federationhttp is the inbound HTTP adapter of the federation
// context: the list of external sign-in providers, the browser flow
// (GET /api/v1/auth/external/:provider and its callback), the single-page
// app's login code exchange, and the signed-in user's linked identities,
// with their OpenAPI fragment.
//
// The two browser routes are navigations, not API calls: they answer with
// redirects only. A failure goes back to /login (or /account for a link,
// or the registered return target of a single-page app) with ?error=<code>,
// so the person sees a page that explains it. The flow's browser binding is
// a cookie of its own (HttpOnly, SameSite=Lax so it comes back with the
// provider's top-level redirect, Secure with a __Host- name on https)
// holding 256 random bits whose hash the flow stores.
//
// Handlers call one federationport method each and map the result; it
// imports Fiber, httpapi and ports, never application/.
package federationhttp

import (
	"context"
	_ "embed"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/domain/federation"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/federationport"
	"github.com/secuird/authy/ports/sessionsport"
)

// OpenAPI is this context's OpenAPI 3.1 fragment.
//
//go:embed openapi.yaml
var OpenAPI []byte

// Sessions is what the routes need of the sessions context: the
// authenticator of the signed-in routes, and sign-out of the browser's
// earlier session when a new sign-in replaces it.
type Sessions interface {
	sessionsport.Authenticator
	Logout(ctx context.Context, p sessionsport.Principal) error
}

// ReturnPolicy decides where a flow may send the browser (the pages'
// return_to rules).
type ReturnPolicy interface {
	Check(raw string) (string, bool)
	Foreign(target string) bool
}

// Deps are what the routes call.
type Deps struct {
	Service  federationport.Service
	Sessions Sessions
	Browser  *httpapi.Browser
	Returns  ReturnPolicy
}

// BindingCookie names the cookie binding a flow to its browser ("__Host-"
// prefixed on https).
const BindingCookie = "authy_federation"

// Pages the failures go back to.
const (
	loginPage   = "/login"
	accountPage = "/account"
)

type handlers struct{ Deps }

// Register mounts the routes on r (the /api/v1 group).
func Register(r fiber.Router, d Deps) error {
	if d.Service == nil || d.Sessions == nil || d.Browser == nil || d.Returns == nil {
		return errors.New("federationhttp: the service, sessions, the cookie transport and the return policy are required")
	}
	h := handlers{d}
	authed := httpapi.RequireAuth(d.Sessions)
	r.Get("/auth/providers", h.providers)
	r.Post("/auth/external/exchange", h.exchange)
	r.Get("/auth/external/:provider", h.start)
	r.Get("/auth/external/:provider/callback", h.callback)
	r.Get("/users/me/identities", authed, h.list)
	r.Post("/users/me/identities/:identity", authed, h.link)
	r.Delete("/users/me/identities/:identity", authed, h.unlink)
	return nil
}

// flowBinding is the cookie binding a flow to its browser: the provider
// sends the browser back by a redirect, so it is always SameSite=Lax.
var flowBinding = httpapi.FlowBinding{Name: BindingCookie, Lifetime: federation.FlowLifetime + time.Minute}

func (h handlers) binding(c *fiber.Ctx) (string, error) { return flowBinding.Bind(c, h.Browser) }

type providerResponse struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	Kind        string `json:"kind"`
}

func (h handlers) providers(c *fiber.Ctx) error {
	list := h.Service.Providers(c.UserContext())
	out := make([]providerResponse, len(list))
	for i, p := range list {
		out[i] = providerResponse{Name: p.Name, DisplayName: p.DisplayName, Kind: p.Kind}
	}
	return httpapi.List(c, "sign-in providers", out, httpapi.ListMeta{Limit: len(out)})
}

// start sends the browser to the provider. A return_to the policy refuses
// is dropped (the flow ends at the default page); one on a registered
// other origin makes the flow deliver a login code there.
func (h handlers) start(c *fiber.Ctx) error {
	provider := utils.CopyString(c.Params("provider"))
	target, ok := h.Returns.Check(c.Query("return_to"))
	if !ok {
		target = ""
	}
	target = utils.CopyString(target)
	delivery := shared.DeliverCookie
	if h.Returns.Foreign(target) {
		delivery = shared.DeliverCode
	}
	binding, err := h.binding(c)
	if err != nil {
		return err
	}
	begun, err := h.Service.BeginSignIn(c.UserContext(), federationport.BeginCommand{
		Provider: provider, ReturnTo: target, Delivery: delivery, Binding: binding,
	})
	if err != nil {
		return h.fail(c, target, false, err)
	}
	return h.away(c, begun.AuthorizationURL)
}

// away redirects the browser without caching and without a Referer.
func (h handlers) away(c *fiber.Ctx, target string) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("Referrer-Policy", "no-referrer")
	return c.Redirect(target, fiber.StatusSeeOther)
}

// errorCode is what a failure's redirect says: the federation codes as
// they are; a refused registration and an address taken meanwhile by their
// federation equivalents. Anything else is not the person's to read
// (ok false: the error goes to the error handler).
func errorCode(err error) (string, bool) {
	var se *shared.Error
	if !errors.As(err, &se) {
		return "", false
	}
	switch {
	case strings.HasPrefix(se.Code(), "federation."), se.Code() == "sso.required":
		return se.Code(), true
	case se.Kind() == shared.KindRateLimited:
		return "federation.rate_limited", true
	case se.Code() == "identity.email_taken":
		return federation.CodeLinkRequiresSignIn, true
	case se.Kind() == shared.KindInvalid:
		return federation.CodeProviderError, true
	}
	return "", false
}

// fail sends the browser where the failure is explained: the registered
// target of a single-page app, the account page for a link, else the
// sign-in page (which keeps the target for the next attempt).
func (h handlers) fail(c *fiber.Ctx, target string, link bool, err error) error {
	code, ok := errorCode(err)
	if !ok {
		return err
	}
	switch {
	case target != "" && h.Returns.Foreign(target):
		return h.away(c, withParam(target, "error", code))
	case link:
		return h.away(c, accountPage+"?error="+url.QueryEscape(code))
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

// callback completes the flow. A sign-in by cookie replaces the browser's
// earlier session (like /login), so no session set before survives it.
func (h handlers) callback(c *fiber.Ctx) error {
	cmd := federationport.CallbackCommand{
		Provider:         utils.CopyString(c.Params("provider")),
		State:            utils.CopyString(c.Query("state")),
		Code:             utils.CopyString(c.Query("code")),
		Error:            utils.CopyString(c.Query("error")),
		ErrorDescription: utils.CopyString(c.Query("error_description")),
		Binding:          flowBinding.Presented(c, h.Browser),
	}
	ctx := httpapi.WithCookieTransport(c.UserContext())
	res, err := h.Service.Complete(ctx, cmd)
	if err != nil {
		return h.fail(c, res.ReturnTo, res.Link, err)
	}
	switch {
	case res.Outcome == federationport.OutcomeLinked:
		return h.away(c, httpapi.AfterSignIn(res.Session, orDefault(res.ReturnTo, accountPage)))
	case res.Delivery == shared.DeliverCode:
		return h.away(c, withParam(res.ReturnTo, "login_code", res.LoginCode))
	}
	if res.MFA != nil {
		// The code step of /login completes it; the challenge alone signs
		// nobody in (it needs the code, from this client, within minutes).
		step := withParam(loginMFAPage, "challenge", res.MFA.Token)
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
	return h.away(c, httpapi.AfterSignIn(res.Session, orDefault(res.ReturnTo, accountPage)))
}

func orDefault(target, def string) string {
	if target == "" {
		return def
	}
	return target
}

// loginMFAPage is the code step of the sign-in pages.
const loginMFAPage = "/login/mfa"

// mfaRequiredResponse answers a login code of an account with a second
// factor, like identity's password login.
type mfaRequiredResponse struct {
	MFARequired bool      `json:"mfa_required"`
	Challenge   string    `json:"challenge"`
	ExpiresAt   time.Time `json:"expires_at"`
	Factors     []string  `json:"factors"`
}

type exchangeRequest struct {
	LoginCode string `json:"login_code"`
}

type sessionResponse struct {
	ID                string    `json:"id"`
	CreatedAt         time.Time `json:"created_at"`
	ExpiresAt         time.Time `json:"expires_at"`
	AbsoluteExpiresAt time.Time `json:"absolute_expires_at"`
	AuthMethod        string    `json:"auth_method"`
	AMR               []string  `json:"amr"`
}

type userResponse struct {
	ID            string `json:"id"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
	Name          string `json:"name"`
}

type exchangeResponse struct {
	Token     string          `json:"token"`
	TokenType string          `json:"token_type"`
	ExpiresAt time.Time       `json:"expires_at"`
	Session   sessionResponse `json:"session"`
	User      userResponse    `json:"user"`
	httpapi.MFAEnrolment
}

func (h handlers) exchange(c *fiber.Ctx) error {
	var req exchangeRequest
	if err := httpapi.Decode(c, &req); err != nil {
		return err
	}
	if req.LoginCode == "" {
		return shared.Invalid(federation.CodeInvalidInput, "the login code is required", map[string][]string{"login_code": {"is required"}})
	}
	res, err := h.Service.Exchange(c.UserContext(), req.LoginCode)
	if err != nil {
		return err
	}
	if res.MFA != nil {
		c.Set(fiber.HeaderCacheControl, "no-store")
		return httpapi.OK(c, "a second factor is required", mfaRequiredResponse{
			MFARequired: true, Challenge: res.MFA.Token, ExpiresAt: res.MFA.ExpiresAt.UTC(), Factors: res.MFA.Factors,
		})
	}
	s := res.Session.Session
	amr := s.Method.AMR()
	if amr == nil {
		amr = []string{}
	}
	return httpapi.OK(c, "signed in", exchangeResponse{
		Token: res.Session.Token, TokenType: "Bearer", ExpiresAt: s.ExpiresAt.UTC(),
		Session: sessionResponse{ID: s.ID.String(), CreatedAt: s.CreatedAt.UTC(), ExpiresAt: s.ExpiresAt.UTC(),
			AbsoluteExpiresAt: s.AbsoluteExpiresAt.UTC(), AuthMethod: s.Method.Name(), AMR: amr},
		User:         userResponse{ID: res.User.ID.String(), Email: res.User.Email, EmailVerified: res.User.EmailVerified, Name: res.User.Name},
		MFAEnrolment: httpapi.MFAEnrolmentOf(res.Session),
	})
}

type identityResponse struct {
	ID            string    `json:"id"`
	Provider      string    `json:"provider"`
	Subject       string    `json:"subject"`
	Email         string    `json:"email"`
	EmailVerified bool      `json:"email_verified"`
	Name          string    `json:"name"`
	CreatedAt     time.Time `json:"created_at"`
	LastSignInAt  time.Time `json:"last_sign_in_at"`
}

func (h handlers) list(c *fiber.Ctx) error {
	list, err := h.Service.ListIdentities(c.UserContext(), httpapi.Principal(c))
	if err != nil {
		return err
	}
	out := make([]identityResponse, len(list))
	for i, v := range list {
		out[i] = identityResponse{ID: v.ID.String(), Provider: v.Provider, Subject: v.Subject, Email: v.Email,
			EmailVerified: v.EmailVerified, Name: v.Name, CreatedAt: v.CreatedAt.UTC(), LastSignInAt: v.LastSignInAt.UTC()}
	}
	return httpapi.List(c, "linked identities", out, httpapi.ListMeta{Limit: len(out)})
}

type linkRequest struct {
	ReturnTo string `json:"return_to"`
}

type linkResponse struct {
	AuthorizationURL string    `json:"authorization_url"`
	ExpiresAt        time.Time `json:"expires_at"`
}

// link starts a flow that links the provider's account to the caller. The
// answer names the URL to send the browser to, and sets the binding cookie
// on this browser: the call must come from the browser that will follow
// the URL.
func (h handlers) link(c *fiber.Ctx) error {
	var req linkRequest
	if err := httpapi.Decode(c, &req); err != nil {
		return err
	}
	target := ""
	if req.ReturnTo != "" {
		t, ok := h.Returns.Check(req.ReturnTo)
		if !ok {
			return shared.Invalid(federation.CodeInvalidInput, "return_to is not an accepted target",
				map[string][]string{"return_to": {"must be a path on Authy or a registered return URL"}})
		}
		target = t
	}
	binding, err := h.binding(c)
	if err != nil {
		return err
	}
	begun, err := h.Service.BeginLink(c.UserContext(), httpapi.Principal(c), federationport.BeginCommand{
		Provider: utils.CopyString(c.Params("identity")), ReturnTo: target, Binding: binding,
	})
	if err != nil {
		return err
	}
	return httpapi.OK(c, "continue at the provider", linkResponse{AuthorizationURL: begun.AuthorizationURL, ExpiresAt: begun.ExpiresAt.UTC()})
}

func (h handlers) unlink(c *fiber.Ctx) error {
	raw := c.Params("identity")
	id, err := uuid.Parse(raw)
	if err != nil || len(raw) != 36 {
		return federation.ErrIdentityNotFound
	}
	if err := h.Service.Unlink(c.UserContext(), httpapi.Principal(c), id); err != nil {
		return err
	}
	return httpapi.OK(c, "identity unlinked", nil)
}
