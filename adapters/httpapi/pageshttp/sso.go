package pageshttp

import (
	"context"
	"net/url"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/ssoport"
)

// SSODiscovery is home-realm discovery (the sso context): which
// organization's connection signs an address in. Nil offers no SSO on
// the sign-in page.
type SSODiscovery interface {
	Discover(ctx context.Context, email string) (ssoport.Discovery, error)
}

// SSOStartPath is where the sign-in page sends the browser for a
// connection; the sso routes serve it.
func SSOStartPath(id uuid.UUID) string { return "/api/v1/auth/sso/" + id.String() + "/start" }

// ssoLink is the sign-in page's way on to a connection's identity
// provider: a link, not a form, so the page's form-action (its own
// origin) does not stand in the way of the provider's origin.
type ssoLink struct {
	Href string
	Text string
}

// ssoLinkFor returns the link for d, carrying the page's accepted target.
func ssoLinkFor(m Messages, d ssoport.Discovery, target string) *ssoLink {
	href := SSOStartPath(d.ConnectionID)
	if target != "" {
		href += "?return_to=" + url.QueryEscape(target)
	}
	return &ssoLink{Href: href, Text: m.F("login.sso_continue", d.Name)}
}

// discoverSSO asks which connection signs email in; a failure to answer
// (a limit, the database) is logged by the caller's error path only when
// it matters, so the page still offers the password.
func (h handlers) discoverSSO(c *fiber.Ctx, email string) (ssoport.Discovery, error) {
	if h.SSO == nil || email == "" {
		return ssoport.Discovery{}, nil
	}
	return h.SSO.Discover(c.UserContext(), email)
}

// loginSSO is the sign-in form's "Continue with SSO": it looks the typed
// address's domain up and shows the way on to the organization's identity
// provider, or says there is none (the password stays for everyone else).
// It works without JavaScript: the form posts here, the answer is a page.
func (h handlers) loginSSO(c *fiber.Ctx) error {
	f, err := httpapi.DecodeForm(c, "email", "password", httpapi.FieldCSRFToken, "return_to")
	if err != nil {
		return err
	}
	if err := h.Browser.CheckLoginCSRF(c, f.Get(httpapi.FieldCSRFToken)); err != nil {
		return err
	}
	target, _ := h.returnTarget(c, f.Get("return_to"))
	m := messages(c)
	email := f.Get("email")
	if email == "" {
		return h.renderLogin(c, fiber.StatusBadRequest, target, email, m.T("form.errors"), map[string]string{"email": m.T("login.sso_email_required")})
	}
	d, err := h.discoverSSO(c, email)
	switch {
	case shared.KindOf(err) == shared.KindRateLimited:
		return h.renderLogin(c, fiber.StatusTooManyRequests, target, email, m.T("error.code.sso.rate_limited"), nil)
	case err != nil:
		return err
	case !d.Found:
		return h.renderLogin(c, fiber.StatusOK, target, email, m.T("login.sso_none"), nil)
	}
	return h.renderLoginSSO(c, fiber.StatusOK, target, email, "", ssoLinkFor(m, d, target))
}
