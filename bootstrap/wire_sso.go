package bootstrap

import (
	"context"
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
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/organizationsport"
	"github.com/secuird/authy/ports/sessionsport"
)

// jobCleanupSSO names the job removing expired SSO sign-in flows.
const jobCleanupSSO = "cleanup_sso"

// wireSSO builds enterprise single sign-on (verified domains and SSO
// connections) on the app's database, with the DNS resolver of
// DNS_RESOLVER and the guarded identity-provider client, and mounts its
// routes.
func (a *App) wireSSO(api fiber.Router, rec auditport.Recorder, id identityWiring, sessions sessionsport.Service, orgs organizationsport.Service) (*ssoapp.Service, error) {
	switch {
	case rec == nil || id.Auth == nil || orgs == nil || sessions == nil:
		return nil, errors.New("wire sso: the audit recorder, the authenticator, organizations and sessions are required")
	case a.limiter == nil || a.keyring == nil:
		return nil, errors.New("wire sso: the rate limiter and the ENCRYPTION_KEY keyring are required")
	case a.federation == nil || id.SetDeletionGuard == nil || id.SetSignInGate == nil:
		return nil, errors.New("wire sso: federation's login codes and identity's deletion and sign-in hooks are required")
	}
	accounts, ok := id.Service.(identityport.ProvisionedAccounts)
	if !ok {
		return nil, errors.New("wire sso: identity does not provision accounts")
	}
	members, ok := orgs.(organizationsport.SSOJoiner)
	if !ok {
		return nil, errors.New("wire sso: organizations does not join members through SSO")
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
		Flows: store.Flows(), Identities: store.Identities(), Directory: id.Directory, Accounts: accounts, Members: members,
		Sessions: sessions, LoginCodes: a.federation,
		Access: orgs, Audit: rec, Clock: a.clock, Limiter: a.limiter, Sealer: a.keyring,
		URLs: sso.URLPolicy{AllowHTTP: a.cfg.SSOAllowPrivateIdP}, PublicURL: a.cfg.PublicURL,
		Log: a.log.With("component", "sso"),
	})
	if err != nil {
		return nil, fmt.Errorf("wire sso: %w", err)
	}
	ssohttp.RegisterAdmin(api, svc, id.Auth)
	ssohttp.RegisterSAML(api, svc)
	if err := ssohttp.RegisterSignIn(api, ssohttp.SignInDeps{
		Service: svc, Sessions: sessions, Browser: a.browser.transport, Returns: a.browser.returns,
	}); err != nil {
		return nil, fmt.Errorf("wire sso: %w", err)
	}
	// Password and social sign-ins of the addresses an enforced
	// connection covers are refused; a deleted account's SSO identities go.
	id.SetSignInGate(svc)
	a.federation.SetSignInGate(svc)
	id.SetDeletionGuard(svc)
	cleanup := func(ctx context.Context) error {
		n, err := svc.Cleanup(ctx)
		if n > 0 {
			a.log.Info("expired sso sign-in flows removed", "count", n)
		}
		return err
	}
	a.addJob(Job{
		Name:        jobCleanupSSO,
		Description: "remove expired SSO sign-in flows (serve runs it every 5 minutes)",
		RunOnce:     cleanup,
	})
	a.workers = append(a.workers, Worker{Name: jobCleanupSSO, Run: func(ctx context.Context) error {
		return everyUntilDone(ctx, federationCleanupEvery, func(ctx context.Context) {
			if err := cleanup(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("sso cleanup failed", "error", err.Error())
			}
		})
	}})
	return svc, nil
}
