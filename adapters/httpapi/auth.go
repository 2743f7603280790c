package httpapi

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/sessionsport"
)

const localPrincipal = "authy.principal"

var errMissingToken = shared.Unauthenticated("auth.missing_token", "a bearer token is required")

// RequireAuth admits a request only with a valid "Authorization: Bearer"
// token, and makes its principal available to handlers via Principal.
func RequireAuth(a sessionsport.Authenticator) fiber.Handler {
	return func(c *fiber.Ctx) error {
		token, ok := BearerToken(c)
		if !ok {
			return errMissingToken
		}
		p, err := a.Authenticate(c.UserContext(), token)
		if err != nil {
			return err
		}
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
