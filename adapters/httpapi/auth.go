package httpapi

import (
	"context"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/sessionsport"
)

const localPrincipal = "authy.principal"

var errMissingToken = shared.Unauthenticated("auth.missing_token", "a bearer token is required")

// RequireAuth admits a request only with a valid "Authorization: Bearer"
// token, and makes its principal available to handlers via Principal.
// Below the cookie transport's middleware (Browser.Middleware), a request
// without an Authorization header may present the session cookie instead;
// a state-changing one must then carry its session's CSRF token in the
// X-CSRF-Token header (403 otherwise).
func RequireAuth(a sessionsport.Authenticator) fiber.Handler {
	return func(c *fiber.Ctx) error {
		token, ok := BearerToken(c)
		b := browserOf(c)
		viaCookie := false
		if !ok && b != nil && len(c.Request().Header.Peek(fiber.HeaderAuthorization)) == 0 {
			token, ok = b.SessionToken(c)
			viaCookie = ok
		}
		if !ok {
			return errMissingToken
		}
		// The session cache may read ahead, in the session's own round
		// trip, what the handler looks up next (the profile view).
		c.SetUserContext(sessionsport.WithReadAhead(c.UserContext()))
		p, err := a.Authenticate(c.UserContext(), token)
		if err != nil {
			return err
		}
		if viaCookie {
			if unsafeMethod(c.Method()) {
				if err := b.CheckCSRF(p, c.Get(HeaderCSRFToken)); err != nil {
					return err
				}
			}
			c.SetUserContext(WithCookieTransport(c.UserContext()))
		}
		// Policies that depend on how the caller signed in (the
		// organization multi-factor policy) read the principal from ctx.
		c.SetUserContext(sessionsport.WithCaller(c.UserContext(), p))
		c.Locals(localPrincipal, p)
		return c.Next()
	}
}

// BearerToken extracts the token of an "Authorization: Bearer" header.
func BearerToken(c *fiber.Ctx) (string, bool) {
	h := c.Get(fiber.HeaderAuthorization)
	scheme, token, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	if token == "" || len(token) > 512 {
		return "", false
	}
	return token, true
}

// Principal returns the authenticated caller. It panics when called on a
// route without RequireAuth, which is a wiring bug caught by any test.
func Principal(c *fiber.Ctx) sessionsport.Principal {
	p, ok := c.Locals(localPrincipal).(sessionsport.Principal)
	if !ok {
		panic("httpapi.Principal on a route without RequireAuth")
	}
	return p
}

// StepUp answers whether a session proved its user recently enough for a
// sensitive change (mfaport.StepUp).
type StepUp interface {
	RequireRecent(ctx context.Context, p sessionsport.Principal, passwordChecked bool) error
}

// RequireRecentSignIn admits, after RequireAuth, only a session that
// signed in or passed a factor check within the step-up window; any other
// gets the StepUp's Forbidden error before the handler runs.
func RequireRecentSignIn(s StepUp) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := s.RequireRecent(c.UserContext(), Principal(c), false); err != nil {
			return err
		}
		return c.Next()
	}
}
