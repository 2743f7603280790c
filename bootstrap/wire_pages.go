package bootstrap

import (
	"errors"
	"fmt"
	"strings"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/adapters/httpapi/pageshttp"
	"github.com/secuird/authy/adapters/httpapi/provisioninghttp"
	"github.com/secuird/authy/ports/sessionsport"
)

// browserWiring is the browser side of the server: the session cookie
// transport (keyed by the signer from SECRET_KEY), where the pages may send
// a browser (PUBLIC_URL and AUTH_RETURN_URLS), and the pages with their
// HTML error renderer. It is built before the HTTP edge, whose error
// handler needs the page group's renderer, and mounted after the contexts
// whose use cases the pages call.
type browserWiring struct {
	transport *httpapi.Browser
	returns   pageshttp.ReturnPolicy
	pages     *pageshttp.Pages
}

func (a *App) buildBrowser() error {
	returns, err := pageshttp.NewReturnPolicy(a.cfg.PublicURL, a.cfg.AuthReturnURLs)
	if err != nil {
		return fmt.Errorf("wire pages: %w", err)
	}
	pages, err := pageshttp.NewPages(returns.FormTargets())
	if err != nil {
		return fmt.Errorf("wire pages: %w", err)
	}
	transport, err := httpapi.NewBrowser(httpapi.BrowserOptions{
		Signer: a.signer,
		// Secure cookies, and their __Host- names, need an https origin:
		// a browser would drop them on plain http.
		Secure: strings.HasPrefix(strings.ToLower(a.cfg.PublicURL), "https://"),
		Now:    a.clock.Now,
	})
	if err != nil {
		return fmt.Errorf("wire pages: %w", err)
	}
	a.browser = &browserWiring{transport: transport, returns: returns, pages: pages}
	return nil
}

// routeGroups are the route groups whose errors have their own format: the
// pages (HTML) and the protocol endpoints (RFC 6749 JSON). Every other path
// answers the envelope.
func (a *App) routeGroups() []httpapi.RouteGroup {
	return []httpapi.RouteGroup{
		a.browser.pages.Group(),
		{Name: "protocol", Paths: httpapi.ProtocolPaths, Renderer: httpapi.ProtocolRenderer},
		provisioninghttp.Group(),
	}
}

// mountPages mounts the hosted pages at the root, on the identity,
// sessions and organizations use cases.
func (a *App) mountPages() error {
	if a.identity == nil || a.sessions == nil || a.organizations == nil {
		return errors.New("wire pages: identity, sessions and organizations must be wired first")
	}
	var continuations pageshttp.Continuations
	if a.oauth != nil {
		continuations = a.oauth.continuations
	}
	var passkeys pageshttp.Passkeys
	var passkeyAccount pageshttp.PasskeyAccount
	if a.passkeys != nil {
		passkeys, passkeyAccount = a.passkeys, a.passkeys
	}
	enrolment, ok := a.organizations.(sessionsport.EnrolmentPolicy)
	if !ok {
		return errors.New("wire pages: organizations cannot name the organizations that require a factor")
	}
	var discovery pageshttp.SSODiscovery
	if a.sso != nil {
		discovery = a.sso
	}
	return pageshttp.Register(a.http, pageshttp.Deps{
		Continuations: continuations,
		Identity:      a.identity,
		Sessions:      a.sessions,
		Invitations:   a.organizations,
		Browser:       a.browser.transport,
		Pages:         a.browser.pages,
		Returns:       a.browser.returns,
		Providers:     a.federation,
		MFA:           a.mfa,
		SSO:           discovery,
		Passkeys:      passkeys,
		// The security page: factors, recovery codes and passkeys.
		Factors:        a.mfa,
		PasskeyAccount: passkeyAccount,
		Enrolment:      enrolment,
	})
}
