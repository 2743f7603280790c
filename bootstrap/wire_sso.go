package bootstrap

import (
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/adapters/httpapi/ssohttp"
	"github.com/secuird/authy/adapters/pgstore/ssopg"
	"github.com/secuird/authy/adapters/upstream/dnstxt"
	"github.com/secuird/authy/adapters/upstream/samlsso"
	"github.com/secuird/authy/adapters/upstream/ssoidp"
	"github.com/secuird/authy/application/ssoapp"
	"github.com/secuird/authy/domain/sso"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/organizationsport"
	"github.com/secuird/authy/ports/sessionsport"
)

// wireSSO builds enterprise single sign-on (verified domains and SSO
// connections) on the app's database, with the DNS resolver of
// DNS_RESOLVER and the guarded identity-provider client, and mounts its
// routes.
func (a *App) wireSSO(api fiber.Router, rec auditport.Recorder, auth sessionsport.Authenticator, access organizationsport.Access) (*ssoapp.Service, error) {
	switch {
	case rec == nil || auth == nil || access == nil:
		return nil, errors.New("wire sso: the audit recorder, the authenticator and organizations access are required")
	case a.limiter == nil || a.keyring == nil:
		return nil, errors.New("wire sso: the rate limiter and the ENCRYPTION_KEY keyring are required")
	}
	resolver, err := dnstxt.New(a.cfg.DNSResolver, 0)
	if err != nil {
		return nil, fmt.Errorf("wire sso: %w", err)
	}
	store := ssopg.New(a.db)
	guarded := ssoidp.NewHTTPClient(ssoidp.Options{AllowPrivate: a.cfg.SSOAllowPrivateIdP})
	samlSP, err := samlsso.New(guarded, a.limiter, a.clock)
	if err != nil {
		return nil, fmt.Errorf("wire sso: %w", err)
	}
	// Without CA_ENCRYPTION_KEY (production only) there is no certificate
	// authority, and creating a SAML connection is refused with that reason.
	var ca *ssoapp.CertificateAuthority
	if a.caKeyring != nil {
		if ca, err = ssoapp.NewCertificateAuthority(store.CA(), a.caKeyring, a.clock); err != nil {
			return nil, fmt.Errorf("wire sso: %w", err)
		}
	}
	svc, err := ssoapp.New(ssoapp.Deps{
		UoW: a.db, Domains: store.Domains(), Connections: store.Connections(), Resolver: resolver,
		OIDC: ssoidp.New(guarded), SAML: samlSP, CA: ca,
		Access: access, Audit: rec, Clock: a.clock, Limiter: a.limiter, Sealer: a.keyring,
		URLs: sso.URLPolicy{AllowHTTP: a.cfg.SSOAllowPrivateIdP}, PublicURL: a.cfg.PublicURL,
		Log: a.log.With("component", "sso"),
	})
	if err != nil {
		return nil, fmt.Errorf("wire sso: %w", err)
	}
	ssohttp.RegisterAdmin(api, svc, auth)
	ssohttp.RegisterSAML(api, svc)
	return svc, nil
}
