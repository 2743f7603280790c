package httpapi

import (
	"encoding/base64"
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/sessionsport"
)

// The Signer purposes of the CSRF tokens.
const (
	purposeCSRF      = "sessions.csrf"
	purposeLoginCSRF = "sessions.login_csrf"
)

// ErrCSRF refuses a state-changing request authenticated by the session
// cookie without the CSRF token of its session, and a sign-in form posted
// without the token of the browser's pre-session cookie.
var ErrCSRF = shared.Forbidden("auth.csrf_invalid",
	"the request must carry the CSRF token of its session (X-CSRF-Token header or csrf_token form field)")

// CSRFToken is the CSRF token of a session: the signature of its id under
// the "sessions.csrf" purpose, so it is valid for that session only, needs
// no storage, and ends with the session. It is no secret from its own
// user: pages put it in their forms.
func (b *Browser) CSRFToken(session uuid.UUID) string {
	return b.signer.Sign(purposeCSRF, session[:])
}

// CheckCSRF verifies token against p's session.
func (b *Browser) CheckCSRF(p sessionsport.Principal, token string) error {
	if token == "" || len(token) > maxTokenBytes || b.signer.Verify(purposeCSRF, p.SessionID[:], token) != nil {
		return ErrCSRF
	}
	return nil
}

// unsafeMethod reports a method that may change state: every method but
// GET, HEAD and OPTIONS.
func unsafeMethod(m string) bool {
	switch m {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return false
	}
	return true
}

// LoginCSRF returns the token a form shown before sign-in carries. It is
// bound to a random nonce in the browser's pre-session cookie (set here
// when the browser has none yet): a signed double submit, so another site
// can neither read the token nor pair a cookie of its own with one.
func (b *Browser) LoginCSRF(c *fiber.Ctx) (string, error) {
	nonce := c.Cookies(b.login)
	if !validNonce(nonce) {
		n, err := newNonce()
		if err != nil {
			return "", fmt.Errorf("login csrf: %w", err)
		}
		nonce = n
		c.Cookie(b.cookie(b.login, nonce, b.now().Add(loginCSRFLifetime).UTC()))
	}
	return b.signer.Sign(purposeLoginCSRF, []byte(nonce)), nil
}

// CheckLoginCSRF verifies a pre-session form's token against the
// browser's pre-session cookie.
func (b *Browser) CheckLoginCSRF(c *fiber.Ctx, token string) error {
	nonce := c.Cookies(b.login)
	if !validNonce(nonce) || token == "" || len(token) > maxTokenBytes ||
		b.signer.Verify(purposeLoginCSRF, []byte(nonce), token) != nil {
		return ErrCSRF
	}
	return nil
}

// validNonce accepts what newNonce makes: 32 bytes in unpadded URL-safe
// base64.
func validNonce(s string) bool {
	if len(s) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil
}
