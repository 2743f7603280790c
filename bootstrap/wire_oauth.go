package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/adapters/httpapi/oauthhttp"
	"github.com/secuird/authy/adapters/httpapi/pageshttp"
	"github.com/secuird/authy/adapters/pgstore/oauthpg"
	"github.com/secuird/authy/adapters/security"
	"github.com/secuird/authy/application/oauthapp"
	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/oauthport"
	"github.com/secuird/authy/ports/organizationsport"
	"github.com/secuird/authy/ports/sessionsport"
)

// The OpenID Provider's jobs and worker.
const (
	jobCleanupOAuth    = "cleanup_oauth"
	jobRotateOAuthKeys = "rotate_oauth_keys"
	workerOAuthKeys    = "oauth_keys"
	// oauthKeyCheckEvery is how often serve runs the key lifecycle (a
	// rotation that fell due, keys that expired).
	oauthKeyCheckEvery = time.Hour
	// oauthCleanupBatch is how many expired token rows one statement deletes.
	oauthCleanupBatch = 500
)

// oauthWiring is what the operator commands and the seed use of the
// OpenID Provider.
type oauthWiring struct {
	keys   *oauthapp.KeyManager
	seeder oauthport.ClientSeeder
	// continuations are the authorization requests the sign-in page may
	// return to.
	continuations pageshttp.Continuations
}

// oauthBrowserDeps are the contexts the browser flow reads: the cookie
// sessions (RP-initiated logout ends them), the users' profiles and
// organizations (ID token and userinfo claims).
type oauthBrowserDeps struct {
	sessions      sessionsport.Service
	identity      identityport.Service
	organizations organizationsport.Service
}

// userDirectory is oauthport.UserDirectory on the identity and
// organizations contexts' use cases.
type userDirectory struct {
	identity      identityport.Service
	organizations organizationsport.Service
}

func (d userDirectory) Profile(ctx context.Context, user shared.UserID) (oauthport.UserProfile, error) {
	u, err := d.identity.Me(ctx, sessionsport.Principal{UserID: user})
	if err != nil {
		return oauthport.UserProfile{}, err
	}
	return oauthport.UserProfile{ID: u.ID, Email: u.Email, EmailVerified: u.EmailVerified, Name: u.Name}, nil
}

// maxDirectoryPages bounds the organizations read for one claim set.
const maxDirectoryPages = 5

func (d userDirectory) Organizations(ctx context.Context, user shared.UserID) ([]oauthport.UserOrganization, error) {
	var out []oauthport.UserOrganization
	page := organizationsport.Page{Limit: 100}
	for range maxDirectoryPages {
		p, err := d.organizations.ListMine(ctx, user, page)
		if err != nil {
			return nil, err
		}
		for _, o := range p.Items {
			out = append(out, oauthport.UserOrganization{ID: o.ID, Name: o.Name, Role: o.Role})
		}
		if p.NextCursor == "" {
			break
		}
		page.Cursor = p.NextCursor
	}
	return out, nil
}

// validateOAuth checks the OpenID Provider's settings.
func (c Config) validateOAuth() []string {
	var problems []string
	if c.OAuthAccessTokenTTL < time.Minute || c.OAuthAccessTokenTTL > 24*time.Hour {
		problems = append(problems, "OAUTH_ACCESS_TOKEN_TTL must be between 1m and 24h")
	}
	if c.OAuthRefreshTokenTTL < time.Hour || c.OAuthRefreshTokenTTL > 365*24*time.Hour {
		problems = append(problems, "OAUTH_REFRESH_TOKEN_TTL must be between 1h and 8760h (a year)")
	}
	if c.OAuthAuthorizationCodeTTL < 10*time.Second || c.OAuthAuthorizationCodeTTL > 10*time.Minute {
		problems = append(problems, "OAUTH_AUTHORIZATION_CODE_TTL must be between 10s and 10m")
	}
	if c.OIDCIDTokenTTL < time.Minute || c.OIDCIDTokenTTL > 24*time.Hour {
		problems = append(problems, "OIDC_ID_TOKEN_TTL must be between 1m and 24h")
	}
	if c.OAuthSecretRotationGrace < 0 || c.OAuthSecretRotationGrace > 30*24*time.Hour {
		problems = append(problems, "OAUTH_SECRET_ROTATION_GRACE must be between 0 (the old secret stops at once) and 720h")
	}
	if c.OIDCKeyRotationDays < 1 || c.OIDCKeyRotationDays > 3650 {
		problems = append(problems, "OIDC_KEY_ROTATION_DAYS must be between 1 and 3650")
	}
	return problems
}

// wireOAuth builds the OpenID Provider: the key manager (creating the keys
// on first start, in the background while the server starts answering:
// the key rows are unique per kind and generation, so instances starting
// together create one set), the client service, the
// admin API under /api/v1, the protocol endpoints at the root (in the
// protocol route group, so their errors are RFC 6749 JSON), the key
// worker and the cleanup_oauth and rotate_oauth_keys jobs.
func (a *App) wireOAuth(api fiber.Router, rec auditport.Recorder, auth sessionsport.Authenticator, access organizationsport.Access, bd oauthBrowserDeps) error {
	switch {
	case rec == nil || auth == nil || access == nil || bd.sessions == nil || bd.identity == nil || bd.organizations == nil:
		return errors.New("wire oauth: the audit recorder, the authenticator and the organizations access port are required")
	case a.keyring == nil:
		return errors.New("wire oauth: the ENCRYPTION_KEY keyring is required")
	}
	c := a.cfg
	keys, err := oauthapp.NewKeyManager(oauthpg.NewKeys(a.db), a.keyring, a.clock, oauthapp.KeyConfig{
		RotateEvery:      time.Duration(c.OIDCKeyRotationDays) * 24 * time.Hour,
		SigningVerifyFor: max(c.OAuthAccessTokenTTL, c.OIDCIDTokenTTL),
		TokenVerifyFor:   max(c.OAuthRefreshTokenTTL, c.OAuthAccessTokenTTL, c.OAuthAuthorizationCodeTTL),
	})
	if err != nil {
		return fmt.Errorf("wire oauth: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	report, create, err := keys.Begin(ctx)
	if err != nil {
		return fmt.Errorf("wire oauth: the provider's keys: %w", err)
	}
	for _, ch := range report.Changes {
		a.log.Info("oauth key "+ch.Action, "kind", ch.Kind, "key_id", ch.ID, "activates_at", ch.ActivatesAt)
	}
	if create != nil {
		a.createOAuthKeys(create)
	}
	hasher, err := security.NewPasswordHasher(security.HasherOptions{
		Params: security.Argon2Params{
			MemoryKiB: c.Argon2MemoryKiB, Iterations: c.Argon2Iterations, Parallelism: c.Argon2Parallelism,
			SaltLength: argon2SaltLength, KeyLength: argon2KeyLength,
		},
		Concurrency: c.PasswordHashConcurrency,
	})
	if err != nil {
		return fmt.Errorf("wire oauth: %w", err)
	}
	tokens := oauthpg.NewTokens(a.db, oauthpg.Lifetimes{
		AccessToken: c.OAuthAccessTokenTTL, RefreshToken: c.OAuthRefreshTokenTTL, AuthorizeCode: c.OAuthAuthorizationCodeTTL,
	}, oauthhttp.NewSession)
	clients := oauthpg.NewClients(a.db)
	grace := c.OAuthSecretRotationGrace
	if grace == 0 {
		grace = -1 // the service reads zero as its default
	}
	svc, err := oauthapp.New(oauthapp.Deps{
		Clients: clients, UnitOfWork: a.db, Access: access, Recorder: rec, Clock: a.clock,
		Keys: keys, Hasher: secretHasher{h: hasher}, Janitor: tokens, Meter: a.meter, Limiter: a.limiter,
		SecretGrace: grace, CleanupBatch: oauthCleanupBatch,
	})
	if err != nil {
		return fmt.Errorf("wire oauth: %w", err)
	}
	protocol, err := oauthhttp.NewProtocol(oauthhttp.ProtocolDeps{
		Provider: svc, Keys: keys, Tokens: tokens,
		Settings: oauthhttp.Settings{
			Issuer:                strings.TrimSuffix(c.PublicURL, "/"),
			AccessTokenLifetime:   c.OAuthAccessTokenTTL,
			RefreshTokenLifetime:  c.OAuthRefreshTokenTTL,
			AuthorizeCodeLifetime: c.OAuthAuthorizationCodeTTL,
			IDTokenLifetime:       c.OIDCIDTokenTTL,
		},
	})
	if err != nil {
		return fmt.Errorf("wire oauth: %w", err)
	}
	parked := oauthpg.NewAuthorizeRequests(a.db)
	authz, err := oauthapp.NewAuthorization(oauthapp.AuthorizationDeps{
		Clients: clients, Consents: oauthpg.NewConsents(a.db), Revoker: tokens,
		Directory:  userDirectory{identity: bd.identity, organizations: bd.organizations},
		UnitOfWork: a.db, Recorder: rec, Clock: a.clock,
	})
	if err != nil {
		return fmt.Errorf("wire oauth: %w", err)
	}
	protocolGroup := httpapi.RouteGroup{Name: "protocol", Paths: httpapi.ProtocolPaths, Renderer: httpapi.ProtocolRenderer}
	oauthhttp.Register(api, svc, auth, a.mfa)
	oauthhttp.RegisterConsents(api, authz, auth)
	oauthhttp.RegisterProtocol(a.http, protocol, protocolGroup)
	continuations, err := oauthhttp.RegisterBrowser(a.http, protocol, oauthhttp.BrowserDeps{
		Authorizer: authz, Parked: parked, Sessions: bd.sessions, Profiles: bd.identity,
		Browser: a.browser.transport, Pages: a.browser.pages, Clock: a.clock.Now,
	}, protocolGroup)
	if err != nil {
		return fmt.Errorf("wire oauth: %w", err)
	}
	a.oauth = &oauthWiring{keys: keys, seeder: svc, continuations: continuations}

	runKeys := func(ctx context.Context) error {
		report, err := keys.Ensure(ctx)
		for _, ch := range report.Changes {
			a.log.Info("oauth key "+ch.Action, "kind", ch.Kind, "key_id", ch.ID, "activates_at", ch.ActivatesAt)
		}
		return err
	}
	a.workers = append(a.workers, Worker{Name: workerOAuthKeys, Run: func(ctx context.Context) error {
		return everyUntilDone(ctx, oauthKeyCheckEvery, func(ctx context.Context) {
			if err := runKeys(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("oauth key lifecycle failed", "error", err.Error())
			}
		})
	}})
	a.addJob(Job{
		Name: jobRotateOAuthKeys,
		Description: fmt.Sprintf("create the successor of every OpenID Provider key older than OIDC_KEY_ROTATION_DAYS (%d), "+
			"published before it signs, and delete keys whose tokens have all expired", c.OIDCKeyRotationDays),
		RunOnce: runKeys,
	})
	a.addJob(Job{
		Name:        jobCleanupOAuth,
		Description: fmt.Sprintf("delete expired OAuth token rows (used codes, rotated refresh tokens, expired tokens) and expired parked authorization requests, %d per statement", oauthCleanupBatch),
		RunOnce: func(ctx context.Context) error {
			n, err := svc.CleanupTokens(ctx)
			if err == nil {
				var m int
				m, err = cleanupParked(ctx, parked, a.clock.Now())
				n += m
			}
			a.log.Info("expired oauth tokens deleted", "count", n)
			if w, ok := ctx.Value(cleanupOutput{}).(io.Writer); ok {
				fmt.Fprintf(w, "deleted %d expired OAuth token row(s)\n", n)
			}
			return err
		},
	})
	return nil
}

// cleanupParked deletes expired parked authorization requests in batches.
func cleanupParked(ctx context.Context, parked oauthport.AuthorizeRequestStore, now time.Time) (int, error) {
	total := 0
	for {
		n, err := parked.DeleteExpired(ctx, now, oauthCleanupBatch)
		total += n
		if err != nil || n < oauthCleanupBatch || ctx.Err() != nil {
			return total, err
		}
	}
}

// createOAuthKeys runs create (the keys a new database lacks, or a rotation
// that fell due) in the background: generating the RSA key takes longer
// than the rest of the start, and what needs a key waits for it (see
// KeyManager.Begin). A failed attempt is logged and tried again after 1 s,
// doubling up to a minute, until it succeeds or the App closes; Close
// waits for the attempt under way.
func (a *App) createOAuthKeys(create func(context.Context) (oauthport.KeyReport, error)) {
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for wait := time.Second; ; wait = min(2*wait, time.Minute) {
			attempt, cancel := context.WithTimeout(ctx, 30*time.Second)
			report, err := create(attempt)
			cancel()
			for _, ch := range report.Changes {
				a.log.Info("oauth key "+ch.Action, "kind", ch.Kind, "key_id", ch.ID, "activates_at", ch.ActivatesAt)
			}
			if err == nil || ctx.Err() != nil {
				return
			}
			a.log.Error("creating the oauth keys failed; trying again", "error", err.Error(), "retry_in", wait.String())
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
	}()
	a.closers = append(a.closers, func() error {
		stop()
		<-done
		return nil
	})
}

// secretHasher hashes hand-set client secrets with the argon2id password
// hasher (bounded like the password one). Only argon2id hashes count: a
// bcrypt hash, which the password hasher would verify for Authy2
// accounts, never authenticates a client.
type secretHasher struct{ h identityport.PasswordHasher }

func (s secretHasher) Hash(ctx context.Context, plain string) (string, error) {
	h, err := s.h.Hash(ctx, plain)
	if err != nil {
		return "", err
	}
	return h.Encoded(), nil
}

func (s secretHasher) Verify(ctx context.Context, plain, hash string) (bool, error) {
	if !strings.HasPrefix(hash, "$argon2id$") {
		return false, nil
	}
	ok, _, err := s.h.Verify(ctx, plain, identity.PasswordHashFromEncoded(hash))
	return ok, err
}

// The seed's OAuth client (SPEC §7): Acme Corp's portal, confidential and
// first-party, its secret set by hand (hence hashed with argon2id).
const (
	seedClientID     = "acme-portal-001"
	seedClientSecret = "acme_secret_portal_2024"
)

// seedOAuthClient adds the portal client to Acme Corp unless it exists.
func (a *App) seedOAuthClient(ctx context.Context, out io.Writer) error {
	if a.oauth == nil {
		return errors.New("seed: the OpenID Provider is not wired")
	}
	ctx = shared.WithRequestMeta(ctx, shared.RequestMeta{RequestID: uuid.NewString(), ClientIP: "127.0.0.1", UserAgent: "authy seed"})
	owner, err := a.identity.FindByEmail(ctx, seedOwner.email)
	if err != nil {
		return fmt.Errorf("seed: look up %s: %w", seedOwner.email, err)
	}
	org, _, err := ensureOrganization(ctx, a.organizations, owner.ID)
	if err != nil {
		return err
	}
	created, err := a.oauth.seeder.EnsureClient(ctx, oauthport.SeedClientCommand{
		Organization: org.ID, ClientID: seedClientID, Secret: seedClientSecret,
		ClientFields: oauthport.ClientFields{
			Name:         "Acme Portal",
			RedirectURIs: []string{"http://localhost:3000/callback", "http://127.0.0.1:3000/callback"},
			GrantTypes:   []string{"authorization_code", "refresh_token", "client_credentials"},
			FirstParty:   true,
		},
	})
	if err != nil {
		return fmt.Errorf("seed: OAuth client %s: %w", seedClientID, err)
	}
	report(out, "OAuth client "+seedClientID+" of "+seedOrgName, created)
	return nil
}
