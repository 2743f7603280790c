package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/sessionsport"
)

// Cookie names. With an https PUBLIC_URL they carry the "__Host-" prefix,
// which browsers accept only from a secure origin with Path=/ and no
// Domain, so no sibling subdomain and no plain-http page can set or shadow
// them.
const (
	SessionCookie   = "authy_session"
	LoginCSRFCookie = "authy_csrf"
	hostPrefix      = "__Host-"
)

// HeaderCSRFToken carries the CSRF token of a cookie-authenticated API
// request; pages send it as the form field FieldCSRFToken.
const (
	HeaderCSRFToken = "X-CSRF-Token"
	FieldCSRFToken  = "csrf_token"
)

// loginCSRFLifetime bounds how long one sign-in form stays usable.
const loginCSRFLifetime = 12 * time.Hour

// Browser is the cookie transport of sessions, beside the bearer header:
// the session cookie (HttpOnly, SameSite=Lax, Path=/, Secure with its
// "__Host-" name when PUBLIC_URL is https) holds a session token exactly
// like a bearer token, so it has the same sliding window and revocation.
//
// Every state-changing request authenticated by the cookie must carry a
// CSRF token bound to its session (see CSRFToken); a bearer request needs
// none, since a browser never adds the Authorization header by itself. The
// forms shown before sign-in are protected by a signed double-submit
// cookie (see LoginCSRF), so no other site can sign a browser in to an
// account of its choosing.
type Browser struct {
	signer  platformport.Signer
	secure  bool
	session string
	login   string
	now     func() time.Time
}

// BrowserOptions configures the cookie transport. Secure is true when
// PUBLIC_URL is https.
type BrowserOptions struct {
	Signer platformport.Signer
	Secure bool
	// Now is the clock of cookie expiries (time.Now when nil).
	Now func() time.Time
}

// NewBrowser returns the cookie transport.
func NewBrowser(o BrowserOptions) (*Browser, error) {
	if o.Signer == nil {
		return nil, errors.New("httpapi: the cookie transport needs a signer")
	}
	b := &Browser{signer: o.Signer, secure: o.Secure, session: SessionCookie, login: LoginCSRFCookie, now: o.Now}
	if o.Secure {
		b.session, b.login = hostPrefix+SessionCookie, hostPrefix+LoginCSRFCookie
	}
	if b.now == nil {
		b.now = time.Now
	}
	return b, nil
}

// SessionCookieName is the session cookie's name as sent.
func (b *Browser) SessionCookieName() string { return b.session }

// Secure reports whether the cookies are Secure (an https PUBLIC_URL).
func (b *Browser) Secure() bool { return b.secure }

const localBrowser = "authy.browser"

// Middleware makes the cookie transport available to RequireAuth on the
// routes below it (the /api/v1 group), so they accept the session cookie
// too.
func (b *Browser) Middleware() fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Locals(localBrowser, b)
		return c.Next()
	}
}

func browserOf(c *fiber.Ctx) *Browser {
	b, _ := c.Locals(localBrowser).(*Browser)
	return b
}

func (b *Browser) cookie(name, value string, expires time.Time) *fiber.Cookie {
	return &fiber.Cookie{
		Name: name, Value: value, Path: "/", Expires: expires,
		Secure: b.secure, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode,
	}
}

// SetSession puts a session token in the session cookie until expires (the
// session's absolute expiry; its idle window is enforced by the server).
func (b *Browser) SetSession(c *fiber.Ctx, token string, expires time.Time) {
	c.Cookie(b.cookie(b.session, token, expires.UTC()))
}

// ClearSession removes the session cookie.
func (b *Browser) ClearSession(c *fiber.Ctx) {
	c.Cookie(b.cookie(b.session, "", time.Unix(0, 0).UTC()))
}

// SessionToken returns the token of the session cookie, if one was sent.
func (b *Browser) SessionToken(c *fiber.Ctx) (string, bool) {
	t := c.Cookies(b.session)
	if t == "" || len(t) > maxTokenBytes {
		return "", false
	}
	return t, true
}

// maxTokenBytes bounds a token read from a header or a cookie.
const maxTokenBytes = 512

// WithCookieTransport marks ctx as a request authenticated by the session
// cookie, for the audit records of what it does.
func WithCookieTransport(ctx context.Context) context.Context {
	return sessionsport.WithTransport(ctx, sessionsport.TransportCookie)
}

// newNonce returns 256 random bits in URL-safe base64.
func newNonce() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
