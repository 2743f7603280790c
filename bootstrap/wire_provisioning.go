package bootstrap

import (
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/adapters/httpapi/provisioninghttp"
	"github.com/secuird/authy/adapters/pgstore/oauthpg"
	"github.com/secuird/authy/adapters/pgstore/provisioningpg"
	"github.com/secuird/authy/adapters/security"
	"github.com/secuird/authy/application/oauthapp"
	"github.com/secuird/authy/application/provisioningapp"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/organizationsport"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/provisioningport"
	"github.com/secuird/authy/ports/sessionsport"
)

// wireProvisioning builds SCIM provisioning on the app's database (its
// changes join one transaction with the accounts, memberships, sessions,
// OAuth tokens and audit records they touch) with the sso context's
// verified domains, hooks it into account deletion, mounts the SCIM token admin routes under /api/v1 and the SCIM
// endpoints at /scim/v2 (their own route group).
func (a *App) wireProvisioning(api fiber.Router, rec auditport.Recorder, id identityWiring, sessions sessionsport.Service,
	orgs organizationsport.Service, domains provisioningport.VerifiedDomains) error {
	accounts, ok := id.Service.(identityport.ProvisionedAccounts)
	if !ok {
		return errors.New("wire provisioning: identity does not open provisioned accounts")
	}
	members, ok := orgs.(organizationsport.Provisioner)
	if !ok {
		return errors.New("wire provisioning: organizations does not provision members")
	}
	if rec == nil || sessions == nil || domains == nil || id.Directory == nil || id.SetDeletionGuard == nil || a.limiter == nil {
		return errors.New("wire provisioning: the recorder, sessions, identity's directory and deletion hook and the rate limiter are required")
	}
	revoker, err := oauthapp.NewUserTokens(oauthpg.NewTokens(a.db, oauthpg.Lifetimes{}, nil))
	if err != nil {
		return fmt.Errorf("wire provisioning: %w", err)
	}
	store := provisioningpg.New(a.db)
	svc, err := provisioningapp.New(provisioningapp.Deps{
		UnitOfWork: a.db, Tokens: store.Tokens(), Users: store.Users(), Digests: security.SCIMTokens{},
		Organizations: members, Directory: id.Directory, Accounts: accounts, Domains: domains,
		Sessions: sessions, OAuthTokens: revoker, Recorder: rec, Clock: a.clock, Limiter: a.limiter,
		Limits: provisioningapp.Limits{
			PerToken:  platformport.Limit{Max: a.cfg.SCIMRateLimitPerToken, Window: time.Minute},
			PerClient: platformport.Limit{Max: a.cfg.SCIMRateLimitPerIP, Window: time.Minute},
		},
	})
	if err != nil {
		return fmt.Errorf("wire provisioning: %w", err)
	}
	id.SetDeletionGuard(svc)
	provisioninghttp.RegisterTokens(api, svc, id.Auth, a.mfa)
	provisioninghttp.RegisterSCIM(a.http, svc, a.cfg.PublicURL)
	return nil
}
