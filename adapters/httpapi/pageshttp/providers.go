package pageshttp

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/federationport"
)

// codeSSORequired refuses a password sign-in of an address whose
// organization enforces single sign-on.
const codeSSORequired = "sso.required"

// codeOf is err's stable code, "" for an error without one.
func codeOf(err error) string {
	var se *shared.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return ""
}

// Providers lists the external sign-in providers the sign-in page offers
// (the federation context); nil offers none.
type Providers interface {
	Providers(ctx context.Context) []federationport.ProviderView
}

// ExternalSignInPath is where a provider button starts a sign-in; the
// federation routes serve it.
const ExternalSignInPath = "/api/v1/auth/external/"

// providerLink is one button of the sign-in page.
type providerLink struct {
	Href string
	Name string
	Text string
}

// providerLinks are the sign-in page's provider buttons, each carrying the
// page's accepted return_to.
func (h handlers) providerLinks(c *fiber.Ctx, m Messages, target string) []providerLink {
	if h.Providers == nil {
		return nil
	}
	list := h.Providers.Providers(c.UserContext())
	out := make([]providerLink, 0, len(list))
	for _, p := range list {
		href := ExternalSignInPath + url.PathEscape(p.Name)
		if target != "" {
			href += "?return_to=" + url.QueryEscape(target)
		}
		out = append(out, providerLink{Href: href, Name: p.Name, Text: m.F("login.with", p.DisplayName)})
	}
	return out
}

// flowError is the message for the error code a redirect brought back
// (?error=federation.state_expired): only codes the catalogue explains
// are shown, so a link cannot put words of its own on the page.
func flowError(c *fiber.Ctx, m Messages) string {
	code := c.Query("error")
	if code == "" || len(code) > 64 || !(strings.HasPrefix(code, "federation.") || strings.HasPrefix(code, "sso.")) {
		return ""
	}
	if key := "error.code." + code; m.Has(key) {
		return m.T(key)
	}
	if strings.HasPrefix(code, "sso.") {
		return m.T("error.code.sso.provider_error")
	}
	return m.T("error.code.federation.provider_error")
}

// Foreign reports whether target, a value Check accepted, is on another
// origin than Authy's own (a registered AUTH_RETURN_URLS target): a
// sign-in ending there cannot set Authy's session cookie for it.
func (r ReturnPolicy) Foreign(target string) bool {
	if target == "" || strings.HasPrefix(target, "/") {
		return false
	}
	u, err := parseTarget(target)
	if err != nil {
		return false
	}
	o, _ := originOf(u)
	return o != r.self
}
