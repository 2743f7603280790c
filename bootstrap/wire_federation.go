package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/adapters/httpapi/federationhttp"
	"github.com/secuird/authy/adapters/pgstore/federationpg"
	"github.com/secuird/authy/adapters/upstream/oauthproviders"
	"github.com/secuird/authy/application/federationapp"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/federationport"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/sessionsport"
)

// jobCleanupFederation names the job removing expired sign-in flows and
// login codes; serve runs it every federationCleanupEvery.
const (
	jobCleanupFederation   = "cleanup_federation"
	federationCleanupEvery = 5 * time.Minute
)

// WithUpstreamHTTPClient makes the external sign-in providers called
// through c (tests send the providers' hosts to a loopback fake).
func WithUpstreamHTTPClient(c *http.Client) Option {
	return func(o *buildOptions) { o.upstreamClient = c }
}

// upstreamProviders builds the enabled providers, in the order Google,
// GitHub, Microsoft, then OIDC_PROVIDERS.
func (a *App) upstreamProviders() ([]federationport.Upstream, error) {
	o := oauthproviders.Options{PublicURL: a.cfg.PublicURL, HTTPClient: a.upstreamClient}
	var out []federationport.Upstream
	if a.cfg.GoogleClientID != "" {
		out = append(out, oauthproviders.NewGoogle(o, oauthproviders.GoogleConfig{ClientID: a.cfg.GoogleClientID, ClientSecret: a.cfg.GoogleClientSecret}))
	}
	if a.cfg.GitHubClientID != "" {
		out = append(out, oauthproviders.NewGitHub(o, oauthproviders.GitHubConfig{
			ClientID: a.cfg.GitHubClientID, ClientSecret: a.cfg.GitHubClientSecret, BaseURL: a.cfg.GitHubURL,
		}))
	}
	if a.cfg.MicrosoftClientID != "" {
		out = append(out, oauthproviders.NewMicrosoft(o, oauthproviders.MicrosoftConfig{
			ClientID: a.cfg.MicrosoftClientID, ClientSecret: a.cfg.MicrosoftClientSecret, Tenant: a.cfg.MicrosoftTenant,
		}))
	}
	for _, c := range a.cfg.OIDC {
		p, err := oauthproviders.NewOIDC(o, oauthproviders.OIDCConfig{
			Name: c.Name, DisplayName: c.DisplayName, Issuer: c.Issuer, ClientID: c.ClientID, ClientSecret: c.ClientSecret, Scopes: c.Scopes,
		})
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// wireFederation builds social and OpenID Connect sign-in on the app's
// database (flows, codes and identities join the same transactions as the
// accounts, sessions and audit records it writes), hooks it into account
// deletion (a deleted account's identities go) and into proofs of an
// account's address (identities that never vouched for it go), and mounts
// its routes.
func (a *App) wireFederation(api fiber.Router, rec auditport.Recorder, id identityWiring, sessions sessionsport.Service) (*federationapp.Service, error) {
	switch {
	case rec == nil || sessions == nil:
		return nil, errors.New("wire federation: the audit recorder and the sessions service are required")
	case id.External == nil || id.Directory == nil || id.SetDeletionGuard == nil:
		return nil, errors.New("wire federation: identity's external accounts, directory and deletion hook are required")
	}
	revoker, ok := sessions.(sessionsport.MethodRevoker)
	if !ok || id.AddEmailProofListener == nil {
		return nil, errors.New("wire federation: the sessions method revoker and identity's email proof hook are required")
	}
	providers, err := a.upstreamProviders()
	if err != nil {
		return nil, fmt.Errorf("wire federation: %w", err)
	}
	store := federationpg.New(a.db)
	svc, err := federationapp.New(federationapp.Deps{
		Providers: providers, Identities: store, Flows: store.Flows(), Codes: store.LoginCodes(), UoW: a.db,
		Accounts: id.External, Directory: id.Directory, Sessions: sessions, Revoker: revoker, Audit: rec, Clock: a.clock, Limiter: a.limiter,
		Log: a.log.With("component", "federation"),
	})
	if err != nil {
		return nil, fmt.Errorf("wire federation: %w", err)
	}
	id.SetDeletionGuard(svc)
	id.AddEmailProofListener(svc)
	if err := federationhttp.Register(api, federationhttp.Deps{
		Service: svc, Sessions: sessions, Browser: a.browser.transport, Returns: a.browser.returns,
	}); err != nil {
		return nil, fmt.Errorf("wire federation: %w", err)
	}
	cleanup := func(ctx context.Context) error {
		n, err := svc.Cleanup(ctx)
		if n > 0 {
			a.log.Info("expired sign-in flows and login codes removed", "count", n)
		}
		return err
	}
	a.addJob(Job{
		Name:        jobCleanupFederation,
		Description: "remove expired external sign-in flows and login codes (serve runs it every 5 minutes)",
		RunOnce:     cleanup,
	})
	a.workers = append(a.workers, Worker{Name: jobCleanupFederation, Run: func(ctx context.Context) error {
		return everyUntilDone(ctx, federationCleanupEvery, func(ctx context.Context) {
			if err := cleanup(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("federation cleanup failed", "error", err.Error())
			}
		})
	}})
	return svc, nil
}

// deletionGuards runs every context's guard in one account deletion's
// transaction, in the order they were added; the first refusal aborts it.
type deletionGuards struct{ guards []identityport.DeletionGuard }

func (g *deletionGuards) add(d identityport.DeletionGuard) { g.guards = append(g.guards, d) }

// BeforeAccountDeletion implements identityport.DeletionGuard.
func (g *deletionGuards) BeforeAccountDeletion(ctx context.Context, user shared.UserID) error {
	for _, d := range g.guards {
		if err := d.BeforeAccountDeletion(ctx, user); err != nil {
			return err
		}
	}
	return nil
}
