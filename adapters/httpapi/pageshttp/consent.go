package pageshttp

import (
	"github.com/gofiber/fiber/v2"
)

// ConsentPage is what the consent page shows: the client asking, the
// scopes it asks for, the signed-in user's email, the parked request's
// handle and the session's CSRF token the form carries, and the origin
// of the client's redirect URI (the allow and deny answers redirect there).
type ConsentPage struct {
	ClientName   string
	Scopes       []string
	Email        string
	Request      string
	CSRF         string
	RedirectHost string
}

// RenderConsent writes the consent page: one form with the CSRF token, the
// request handle and two buttons named decision (allow, deny).
func (p *Pages) RenderConsent(c *fiber.Ctx, cp ConsentPage) error {
	m := messages(c)
	scopes := make([]string, 0, len(cp.Scopes))
	for _, s := range cp.Scopes {
		if key := "scope." + s; m.Has(key) {
			scopes = append(scopes, m.T(key))
		} else {
			scopes = append(scopes, m.F("scope.other", s))
		}
	}
	return p.render(c, fiber.StatusOK, "consent", view{
		M: m, Title: m.F("consent.title", cp.ClientName), CSRF: cp.CSRF, SessionCSRF: cp.CSRF,
		Account:     accountView{Email: cp.Email},
		Consent:     consentView{Client: cp.ClientName, Scopes: scopes, Request: cp.Request},
		FormTargets: []string{cp.RedirectHost},
	})
}

// Continuation is a flow parked while the browser signs in (an
// application's authorization request): the origins its redirect chain
// may end at once the sign-in form is posted, and the login_hint it gave.
type Continuation struct {
	FormTargets []string
	LoginHint   string
}

// Continuations recognises a return_to that continues a parked flow of
// this browser. Lookup reports false for anything else, which the sign-in
// page then refuses as a return_to on the continuation's own path.
type Continuations interface {
	Lookup(c *fiber.Ctx, target string) (Continuation, bool)
	// Owns reports whether target is on a path reserved for
	// continuations (only a recognised one is accepted there).
	Owns(target string) bool
}
