package oauthhttp

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/ory/fosite"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/adapters/httpapi/pageshttp"
	"github.com/secuird/authy/domain/oauth"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/oauthport"
	"github.com/secuird/authy/ports/sessionsport"
)

// The browser flow's paths.
const (
	PathAuthorize = "/oauth2/authorize"
	PathContinue  = "/oauth2/authorize/continue"
	PathConsent   = "/oauth2/authorize/consent"
	PathUserInfo  = "/oauth2/userinfo"
	PathLogout    = "/oauth2/logout"
)

// Parked requests live this long: a sign-in or a consent decision takes
// minutes at most.
const parkLifetime = 15 * time.Minute

// AuthorizeCookie names the cookie that binds parked authorization requests
// to their browser ("__Host-" prefixed on https).
const AuthorizeCookie = "authy_authorize"

// Sessions is what the browser flow needs of the sessions context: the
// cookie session behind a request, and ending it (RP-initiated logout).
type Sessions interface {
	sessionsport.Authenticator
	Logout(ctx context.Context, p sessionsport.Principal) error
}

// Profiles reads the signed-in user's email for the consent page.
type Profiles interface {
	Me(ctx context.Context, p sessionsport.Principal) (identityport.UserView, error)
}

// BrowserDeps are what the authorization, userinfo and logout endpoints
// run on besides the protocol.
type BrowserDeps struct {
	Authorizer oauthport.Authorizer
	Parked     oauthport.AuthorizeRequestStore
	Sessions   Sessions
	Profiles   Profiles
	Browser    *httpapi.Browser
	Pages      *pageshttp.Pages
	Clock      func() time.Time
}

// browserFlow is the authorization endpoint with its sign-in and consent
// steps, userinfo and RP-initiated logout.
type browserFlow struct {
	p *Protocol
	BrowserDeps
}

// browser checks d and builds the browser flow on p.
func (p *Protocol) browser(d BrowserDeps) (*browserFlow, error) {
	if d.Authorizer == nil || d.Parked == nil || d.Sessions == nil || d.Profiles == nil || d.Browser == nil || d.Pages == nil {
		return nil, errors.New("oauth browser flow: the authorizer, the parked requests, sessions, profiles, the cookie transport and the pages are required")
	}
	if d.Clock == nil {
		d.Clock = time.Now
	}
	p.authorizer = d.Authorizer
	return &browserFlow{p: p, BrowserDeps: d}, nil
}

// RegisterBrowser mounts the authorization endpoint and its steps and the
// logout endpoint in the page group (their errors before the client and
// its redirect URI are trusted are HTML pages), and userinfo in the
// protocol group (RFC 6750 errors). It returns the continuations the
// sign-in page accepts as return_to.
func RegisterBrowser(r fiber.Router, p *Protocol, d BrowserDeps, protocol httpapi.RouteGroup) (pageshttp.Continuations, error) {
	b, err := p.browser(d)
	if err != nil {
		return nil, err
	}
	pages := httpapi.GroupMiddleware(d.Pages.Group())
	r.Get(PathAuthorize, pages, b.authorize)
	r.Post(PathAuthorize, pages, b.authorize)
	r.Get(PathContinue, pages, b.resume)
	r.Post(PathConsent, pages, b.consent)
	r.Get(PathLogout, pages, b.logout)
	r.Post(PathLogout, pages, b.logout)
	mark := httpapi.GroupMiddleware(protocol)
	r.Get(PathUserInfo, mark, b.userinfo)
	r.Post(PathUserInfo, mark, b.userinfo)
	return b, nil
}

// The HTML errors of requests whose client or redirect URI is not trusted:
// nothing may be sent to the redirect URI then (RFC 6749 §4.1.2.1).
var (
	errUnknownClient     = shared.Invalid("oauth.unknown_client", "unknown client", nil)
	errRedirectMismatch  = shared.Invalid("oauth.redirect_uri_mismatch", "the redirect_uri is not registered for this client", nil)
	errBadAuthorize      = shared.Invalid("oauth.invalid_authorize_request", "the authorization request is malformed", nil)
	errOtherAccount      = shared.Forbidden("oauth.consent_other_account", "the request was parked for another account")
	errLogoutRedirect    = shared.Invalid("oauth.logout_redirect_invalid", "the post_logout_redirect_uri is not registered for this client", nil)
	errIDTokenHintBroken = shared.Invalid("oauth.id_token_hint_invalid", "the id_token_hint is not an ID token of this provider", nil)
)

// authorizeParams are the parameters the endpoint reads; anything else is
// dropped before the library sees the request. id_token_hint is dropped
// too: it would only pick among sessions, and the browser has one.
var authorizeParams = []string{"response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "prompt",
	"max_age", "login_hint", "code_challenge", "code_challenge_method", "response_mode", "ui_locales", "display", "acr_values", "claims_locales"}

const (
	maxAuthorizeQuery = 4096
	maxLoginHint      = 254
)

// params reads an authorization request's parameters (the query of a GET,
// the form of a POST); a repeated parameter is malformed (RFC 6749 §3.1).
func params(c *fiber.Ctx) (url.Values, error) {
	var raw string
	if c.Method() == fiber.MethodPost {
		if !strings.HasPrefix(strings.ToLower(c.Get(fiber.HeaderContentType)), fiber.MIMEApplicationForm) {
			return nil, errBadAuthorize
		}
		raw = string(c.Body())
	} else {
		raw = string(c.Request().URI().QueryString())
	}
	return parseParams(raw)
}

func parseParams(raw string) (url.Values, error) {
	if len(raw) > maxAuthorizeQuery {
		return nil, errBadAuthorize
	}
	v, err := url.ParseQuery(raw)
	if err != nil {
		return nil, errBadAuthorize
	}
	out := url.Values{}
	for _, k := range authorizeParams {
		if vs, ok := v[k]; ok {
			if len(vs) != 1 {
				return nil, errBadAuthorize
			}
			out.Set(k, vs[0])
		}
	}
	return out, nil
}

func (b *browserFlow) authorize(c *fiber.Ctx) error {
	v, err := params(c)
	if err != nil {
		return err
	}
	return b.run(c, v, b.Clock(), nil)
}

// trusted loads the request's client and checks its redirect URI with the
// domain's rule (exact, but the port of a loopback IP literal): until both
// hold, errors are HTML pages.
func (b *browserFlow) trusted(ctx context.Context, v url.Values) (oauthport.ProtocolClient, error) {
	pc, err := b.p.provider.Client(ctx, v.Get("client_id"))
	if errors.Is(err, oauth.ErrClientNotFound) {
		return pc, errUnknownClient
	}
	if err != nil {
		return pc, err
	}
	requested := v.Get("redirect_uri")
	if requested == "" {
		return pc, errRedirectMismatch
	}
	for _, raw := range pc.RedirectURIs {
		if r, reason := oauth.ParseRedirectURI(raw); reason == "" && r.Matches(requested) {
			return pc, nil
		}
	}
	return pc, errRedirectMismatch
}

// run carries an authorization request as far as it can go: the library's
// checks, then the application's decision (sign in, consent, or a code).
// arrivedAt is when the request first came; consent, when not nil, is the
// consent page's answer.
func (b *browserFlow) run(c *fiber.Ctx, v url.Values, arrivedAt time.Time, consent *bool) error {
	ctx := c.UserContext()
	pc, err := b.trusted(ctx, v)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.p.settings.Issuer+PathAuthorize+"?"+v.Encode(), nil)
	if err != nil {
		return errBadAuthorize
	}
	w := httpapi.NewBufferedResponse()
	ar, err := b.p.oauth.NewAuthorizeRequest(ctx, req)
	if err == nil {
		err = earlyChecks(pc, v)
	}
	if err != nil {
		return b.authorizeError(c, w, ar, err)
	}
	r := oauthport.AuthorizeRequest{Client: pc, Scopes: ar.GetRequestedScopes(), ArrivedAt: arrivedAt,
		Prompt: strings.Fields(v.Get("prompt")), ACRValues: strings.Fields(v.Get("acr_values"))}
	if ma := v.Get("max_age"); ma != "" {
		n, _ := strconv.Atoi(ma)
		r.MaxAge, r.HasMaxAge = time.Duration(n)*time.Second, true
	}
	p, signedIn, err := b.session(c)
	if err != nil {
		return err
	}
	if signedIn {
		r.Session = &p
	}
	var d oauthport.AuthorizeDecision
	if consent != nil && signedIn {
		d, err = b.Authorizer.Consent(ctx, oauthport.ConsentDecision{Request: r, Allow: *consent})
	} else {
		d, err = b.Authorizer.Decide(ctx, r)
	}
	if errors.Is(err, oauth.ErrAccessDenied) {
		return b.authorizeError(c, w, ar, fosite.ErrAccessDenied.WithHint("The user denied the request."))
	}
	if err != nil {
		return err
	}
	none := slices.Contains(r.Prompt, oauthport.PromptNone)
	switch d.Step {
	case oauthport.StepSignIn:
		if none {
			return b.authorizeError(c, w, ar, fosite.ErrLoginRequired)
		}
		handle, err := b.park(c, pc, v, arrivedAt, shared.UserID{})
		if err != nil {
			return err
		}
		return c.Redirect("/login?return_to="+url.QueryEscape(PathContinue+"?request="+handle), fiber.StatusSeeOther)
	case oauthport.StepConsent:
		if none {
			return b.authorizeError(c, w, ar, fosite.ErrConsentRequired)
		}
		handle, err := b.park(c, pc, v, arrivedAt, p.UserID)
		if err != nil {
			return err
		}
		u, err := b.Profiles.Me(ctx, p)
		if err != nil {
			return err
		}
		return b.Pages.RenderConsent(c, pageshttp.ConsentPage{
			ClientName: pc.Name, Scopes: ar.GetRequestedScopes(), Email: u.Email, Request: handle,
			CSRF: b.Browser.CSRFToken(p.SessionID), RedirectHost: originOf(v.Get("redirect_uri")),
		})
	case oauthport.StepIssue:
	default:
		return errors.New("authorize: unknown step " + string(d.Step))
	}
	for _, s := range d.Grant.Scopes {
		ar.GrantScope(s)
	}
	resp, err := b.p.oauth.NewAuthorizeResponse(ctx, ar, grantSession(d.Grant, pc, arrivedAt))
	if err != nil {
		return b.authorizeError(c, w, ar, err)
	}
	b.p.oauth.WriteAuthorizeResponse(ctx, w, ar, resp)
	return w.WriteTo(c)
}

// earlyChecks refuses, before any sign-in, what the library would refuse
// only when issuing the code: a public client without PKCE, a challenge
// method other than S256, a malformed max_age.
func earlyChecks(pc oauthport.ProtocolClient, v url.Values) error {
	if m := v.Get("code_challenge_method"); m != "" && m != "S256" {
		return fosite.ErrInvalidRequest.WithHint("Only the S256 code_challenge_method is accepted.")
	}
	if v.Get("code_challenge_method") != "" && v.Get("code_challenge") == "" {
		return fosite.ErrInvalidRequest.WithHint("code_challenge_method needs a code_challenge.")
	}
	if pc.Public && v.Get("code_challenge") == "" {
		return fosite.ErrInvalidRequest.WithHint("A public client must send a PKCE code_challenge (S256).")
	}
	if ma := v.Get("max_age"); ma != "" {
		if n, err := strconv.Atoi(ma); err != nil || n < 0 {
			return fosite.ErrInvalidRequest.WithHint("max_age must be a non-negative number of seconds.")
		}
	}
	return nil
}

// authorizeError redirects the error to the client when the library trusts
// the redirect URI (which trusted checked first), and shows it as a page
// otherwise.
func (b *browserFlow) authorizeError(c *fiber.Ctx, w *httpapi.BufferedResponse, ar fosite.AuthorizeRequester, err error) error {
	if unavailable(err) {
		return err
	}
	if ar == nil || !ar.IsRedirectURIValid() {
		return errBadAuthorize
	}
	b.p.oauth.WriteAuthorizeError(c.UserContext(), w, ar, err)
	return w.WriteTo(c)
}

// grantSession is the session the code (and then the tokens) carries:
// the user as subject, and the ID token's claims. requested_at is when
// the request first arrived, so prompt=login and max_age are measured
// from it, not from the sign-in it led to.
func grantSession(g oauthport.Grant, pc oauthport.ProtocolClient, arrivedAt time.Time) fosite.Session {
	s := newSession()
	s.Subject = g.Subject.String()
	cl := s.Claims
	cl.Subject = g.Subject.String()
	cl.AuthTime = g.AuthTime.UTC().Truncate(time.Second)
	cl.RequestedAt = arrivedAt.UTC().Truncate(time.Second)
	cl.AuthenticationMethodsReferences = g.AMR
	cl.AuthenticationContextClassReference = g.ACR
	cl.Extra = map[string]any{"sid": g.SessionID.String()}
	for k, val := range g.Claims {
		if k != "sub" {
			cl.Extra[k] = val
		}
	}
	alg := pc.IDTokenSignedResponseAlg
	if alg == "" {
		alg = "RS256"
	}
	s.Headers.Extra = map[string]any{"alg": alg}
	return s
}

// session returns the browser's cookie session, if any.
func (b *browserFlow) session(c *fiber.Ctx) (sessionsport.Principal, bool, error) {
	token, ok := b.Browser.SessionToken(c)
	if !ok {
		return sessionsport.Principal{}, false, nil
	}
	p, err := b.Sessions.Authenticate(c.UserContext(), token)
	if shared.KindOf(err) == shared.KindUnauthenticated {
		return sessionsport.Principal{}, false, nil
	}
	if err != nil {
		return sessionsport.Principal{}, false, err
	}
	return p, true, nil
}

func (b *browserFlow) cookieName() string {
	if b.Browser.Secure() {
		return "__Host-" + AuthorizeCookie
	}
	return AuthorizeCookie
}

// binding returns the browser's binding value, making one when it has
// none, and renews the cookie so it outlives what is parked.
func (b *browserFlow) binding(c *fiber.Ctx) (string, error) {
	v := c.Cookies(b.cookieName())
	if !validHandle(v) {
		var err error
		if v, err = randomHandle(); err != nil {
			return "", err
		}
	} else {
		v = utils.CopyString(v)
	}
	c.Cookie(&fiber.Cookie{
		Name: b.cookieName(), Value: v, Path: "/", Expires: b.Clock().Add(parkLifetime + time.Minute).UTC(),
		Secure: b.Browser.Secure(), HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode,
	})
	return v, nil
}

func randomHandle() (string, error) {
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(buf), nil
}

func validHandle(s string) bool {
	if len(s) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil
}

func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// park stores the request for this browser and returns its handle.
func (b *browserFlow) park(c *fiber.Ctx, pc oauthport.ProtocolClient, v url.Values, arrivedAt time.Time, subject shared.UserID) (string, error) {
	bind, err := b.binding(c)
	if err != nil {
		return "", err
	}
	handle, err := randomHandle()
	if err != nil {
		return "", err
	}
	now := b.Clock()
	err = b.Parked.Park(c.UserContext(), oauthport.ParkedRequest{
		HandleHash: digest(handle), BindingHash: digest(bind), ClientID: pc.ID, Query: v.Encode(),
		Subject: subject, ParkedAt: arrivedAt, ExpiresAt: now.Add(parkLifetime),
	})
	return handle, err
}

// take spends a parked request of this browser.
func (b *browserFlow) take(c *fiber.Ctx, handle string) (oauthport.ParkedRequest, url.Values, error) {
	bind := c.Cookies(b.cookieName())
	if !validHandle(handle) || !validHandle(bind) {
		return oauthport.ParkedRequest{}, nil, oauthport.ErrParkedRequestNotFound
	}
	pr, err := b.Parked.Take(c.UserContext(), digest(handle), digest(bind), b.Clock())
	if err != nil {
		return pr, nil, err
	}
	v, err := parseParams(pr.Query)
	return pr, v, err
}

// resume continues a request parked for a sign-in, once the sign-in page
// sends the browser back.
func (b *browserFlow) resume(c *fiber.Ctx) error {
	pr, v, err := b.take(c, c.Query("request"))
	if err != nil {
		return err
	}
	return b.run(c, v, pr.ParkedAt, nil)
}

// consent applies the consent page's answer to the request it parked.
// The CSRF token is checked before the request is spent, so a forged post
// changes nothing.
func (b *browserFlow) consent(c *fiber.Ctx) error {
	f, err := httpapi.DecodeForm(c, httpapi.FieldCSRFToken, "request", "decision")
	if err != nil {
		return err
	}
	p, ok, err := b.session(c)
	if err != nil {
		return err
	}
	if !ok {
		return shared.Unauthenticated("auth.unauthenticated", "sign in first")
	}
	if err := b.Browser.CheckCSRF(p, f.Get(httpapi.FieldCSRFToken)); err != nil {
		return err
	}
	var allow bool
	switch f.Get("decision") {
	case "allow":
		allow = true
	case "deny":
	default:
		return shared.Invalid("oauth.invalid_decision", "decision must be allow or deny", nil)
	}
	pr, v, err := b.take(c, f.Get("request"))
	if err != nil {
		return err
	}
	if pr.Subject != p.UserID {
		return errOtherAccount
	}
	return b.run(c, v, pr.ParkedAt, &allow)
}

// Owns implements pageshttp.Continuations.
func (b *browserFlow) Owns(target string) bool {
	path, _, _ := strings.Cut(target, "?")
	return strings.HasPrefix(path, "/oauth2/")
}

// Lookup implements pageshttp.Continuations: a return_to that is exactly
// the continuation of a request this browser parked, with the origin of
// its redirect URI (where the sign-in's redirect chain ends).
func (b *browserFlow) Lookup(c *fiber.Ctx, target string) (pageshttp.Continuation, bool) {
	u, err := url.Parse(target)
	if err != nil || u.Path != PathContinue || u.Host != "" || u.Scheme != "" {
		return pageshttp.Continuation{}, false
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil || len(q) != 1 || len(q["request"]) != 1 {
		return pageshttp.Continuation{}, false
	}
	bind := c.Cookies(b.cookieName())
	handle := q.Get("request")
	if !validHandle(handle) || !validHandle(bind) {
		return pageshttp.Continuation{}, false
	}
	pr, err := b.Parked.Peek(c.UserContext(), digest(handle), digest(bind), b.Clock())
	if err != nil {
		return pageshttp.Continuation{}, false
	}
	v, err := parseParams(pr.Query)
	if err != nil {
		return pageshttp.Continuation{}, false
	}
	hint := v.Get("login_hint")
	if len(hint) > maxLoginHint {
		hint = ""
	}
	return pageshttp.Continuation{FormTargets: []string{originOf(v.Get("redirect_uri"))}, LoginHint: hint}, true
}

// originOf is what a CSP source list names a redirect URI by: the
// scheme://host[:port] of an http(s) URL, the scheme of a private-use one
// (com.example.app:), "" for anything else.
func originOf(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return ""
	case (u.Scheme == "http" || u.Scheme == "https") && u.Host != "":
		return u.Scheme + "://" + u.Host
	case u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https" && !strings.ContainsAny(u.Scheme, " ;,'\""):
		return u.Scheme + ":"
	}
	return ""
}
