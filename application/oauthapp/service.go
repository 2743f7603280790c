// Package oauthapp implements the oauth context's use cases: the clients
// admin API (oauthport.Clients, one file per concern), the hand-made
// clients of the seed (oauthport.ClientSeeder), what the protocol
// endpoints ask (oauthport.Provider: clients from a short-lived cache,
// secret checks, the introspection rule, issuance metrics, revocation
// audit), the key lifecycle (KeyManager: oauthport.Keys and KeyAdmin) and
// the token cleanup.
//
// Authorization is the organizations context's answer (organizationsport.
// Access): owners and admins manage clients, members get Forbidden and
// anyone else the organization's NotFound. Secrets the server generates
// carry 256 random bits and are stored as HMAC-SHA256 under a key of the
// provider's own (sealed by ENCRYPTION_KEY, named in the hash), which a
// fast constant-time check suffices for; secrets set by hand are hashed
// with argon2id through the slow hasher port.
//
// It imports only its domain, domain/shared and ports: never Fiber, GORM,
// the protocol library or an adapter.
package oauthapp

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/secuird/authy/domain/oauth"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/oauthport"
	"github.com/secuird/authy/ports/organizationsport"
	"github.com/secuird/authy/ports/platformport"
)

// Defaults of Deps.
const (
	DefaultSecretGrace   = 24 * time.Hour
	DefaultClientCache   = 2 * time.Second
	DefaultCleanupBatch  = 500
	maxCachedClients     = 10000
	secretBytes          = 32 // 256 bits
	clientIDBytes        = 16
	roleOwner, roleAdmin = "owner", "admin"
)

// Deps are the ports the service uses.
type Deps struct {
	Clients    oauthport.ClientRepository
	UnitOfWork platformport.UnitOfWork
	// Access answers the caller's role in an organization.
	Access   organizationsport.Access
	Recorder auditport.Recorder
	Clock    platformport.Clock
	// Keys holds the key client secrets are hashed with.
	Keys *KeyManager
	// Hasher hashes secrets set by hand (argon2id).
	Hasher oauthport.SecretHasher
	// Janitor deletes expired token rows.
	Janitor oauthport.TokenJanitor
	// Meter counts issued tokens (MetricOAuthTokens); nil counts nothing.
	Meter platformport.Meter
	// Limiter counts failed client authentications (ClientAuthLimits).
	Limiter platformport.RateLimiter
	// ClientAuthLimits are DefaultClientAuthLimits when zero.
	ClientAuthLimits ClientAuthLimits
	// SecretGrace is how long a rotated-out secret keeps working
	// (DefaultSecretGrace when zero; negative: not at all).
	SecretGrace time.Duration
	// ClientCache is how long the protocol endpoints may use a client read
	// before (DefaultClientCache when zero; negative: no cache).
	ClientCache time.Duration
	// CleanupBatch is how many token rows one cleanup statement deletes.
	CleanupBatch int
}

// Service implements oauthport.Clients, ClientSeeder, Provider and
// TokenCleanup.
type Service struct {
	d Deps

	cacheMu sync.Mutex
	cache   map[string]cachedClient
}

type cachedClient struct {
	client oauthport.ProtocolClient
	until  time.Time
}

var (
	_ oauthport.Clients      = (*Service)(nil)
	_ oauthport.ClientSeeder = (*Service)(nil)
	_ oauthport.Provider     = (*Service)(nil)
	_ oauthport.TokenCleanup = (*Service)(nil)
)

// New checks d and returns the service.
func New(d Deps) (*Service, error) {
	if d.Clients == nil || d.UnitOfWork == nil || d.Access == nil || d.Recorder == nil || d.Clock == nil ||
		d.Keys == nil || d.Hasher == nil || d.Janitor == nil || d.Limiter == nil {
		return nil, errors.New("oauthapp: clients, unit of work, access, recorder, clock, keys, hasher, janitor and limiter are required")
	}
	if d.ClientAuthLimits == (ClientAuthLimits{}) {
		d.ClientAuthLimits = DefaultClientAuthLimits
	}
	if d.Meter == nil {
		d.Meter = platformport.NopMeter{}
	}
	if d.SecretGrace == 0 {
		d.SecretGrace = DefaultSecretGrace
	}
	if d.SecretGrace < 0 {
		d.SecretGrace = 0
	}
	if d.ClientCache == 0 {
		d.ClientCache = DefaultClientCache
	}
	if d.CleanupBatch <= 0 {
		d.CleanupBatch = DefaultCleanupBatch
	}
	return &Service{d: d, cache: map[string]cachedClient{}}, nil
}

// authorize checks that actor may manage org's clients.
func (s *Service) authorize(ctx context.Context, actor shared.UserID, org shared.OrganizationID) error {
	role, err := s.d.Access.MemberRole(ctx, org, actor)
	switch {
	case shared.KindOf(err) == shared.KindNotFound:
		return oauth.ErrOrganizationNotFound
	case err != nil:
		return fmt.Errorf("organization role: %w", err)
	case role != roleOwner && role != roleAdmin:
		return oauth.ErrForbidden
	}
	return nil
}

// owned loads a client of org; a client of another organization is not found.
func (s *Service) owned(ctx context.Context, org shared.OrganizationID, clientID string) (oauth.ClientID, error) {
	id, reason := oauth.ParseClientID(clientID)
	if reason != "" {
		return oauth.ClientID{}, oauth.ErrClientNotFound
	}
	c, err := s.d.Clients.Get(ctx, id)
	if err != nil {
		return oauth.ClientID{}, err
	}
	if c.Organization() != org {
		return oauth.ClientID{}, oauth.ErrClientNotFound
	}
	return id, nil
}

// update changes a client of org in one transaction with its audit records.
func (s *Service) update(ctx context.Context, org shared.OrganizationID, clientID string, fn func(*oauth.Client) error) (*oauth.Client, error) {
	id, err := s.owned(ctx, org, clientID)
	if err != nil {
		return nil, err
	}
	var out *oauth.Client
	err = s.d.UnitOfWork.Transaction(ctx, func(ctx context.Context) error {
		var events []oauth.Event
		err := s.d.Clients.Update(ctx, id, func(c *oauth.Client) error {
			if c.Organization() != org {
				return oauth.ErrClientNotFound
			}
			if err := fn(c); err != nil {
				return err
			}
			out, events = c, c.PullEvents()
			return nil
		})
		if err != nil {
			return err
		}
		// The audit chain head stays locked until the commit: record last.
		return s.record(ctx, events)
	})
	if err != nil {
		return nil, err
	}
	s.forget(id.String())
	return out, nil
}

func view(c *oauth.Client) oauthport.ClientView {
	spec := c.Spec()
	v := oauthport.ClientView{
		ClientID: c.ID().String(), Organization: c.Organization(), Name: spec.Name,
		RedirectURIs: spec.RedirectURIs, PostLogoutRedirectURIs: spec.PostLogoutRedirectURIs,
		GrantTypes: spec.GrantTypes, TokenEndpointAuthMethod: spec.TokenEndpointAuthMethod, Scopes: spec.Scopes,
		FirstParty: spec.FirstParty, AccessTokenFormat: spec.AccessTokenFormat, ResourceServer: spec.ResourceServer,
		IDTokenSignedResponseAlg: spec.IDTokenSignedResponseAlg, Public: c.Public(), CreatedAt: c.CreatedAt(), UpdatedAt: c.UpdatedAt(),
	}
	if t := c.PreviousSecretExpiresAt(); !t.IsZero() && !c.PreviousSecret().IsZero() {
		v.PreviousSecretExpiresAt = &t
	}
	return v
}

// The audit actions of this context.
const (
	ActionClientCreated       = "oauth.client.created"
	ActionClientUpdated       = "oauth.client.updated"
	ActionClientSecretRotated = "oauth.client.secret_rotated"
	ActionClientDeleted       = "oauth.client.deleted"
	ActionTokenRevoked        = "oauth.token.revoked"
)

// TargetClient is the audit target type of client records.
const TargetClient = "oauth_client"

// record hands domain events to audit; ctx carries the unit of work.
func (s *Service) record(ctx context.Context, events []oauth.Event) error {
	if len(events) == 0 {
		return nil
	}
	out := make([]auditport.Event, 0, len(events))
	for _, e := range events {
		m := e.Meta()
		ev := auditport.Event{
			ActorType: auditport.ActorUser, ActorID: m.Actor.String(), OrganizationID: m.Organization.String(),
			TargetType: TargetClient, TargetID: m.Client.String(), OccurredAt: m.At,
		}
		if m.Actor.IsZero() {
			ev.ActorType, ev.ActorID = auditport.ActorSystem, ""
		}
		switch e := e.(type) {
		case oauth.ClientCreated:
			ev.Action = ActionClientCreated
			ev.Details = map[string]any{"name": e.Name, "public": e.Public, "grant_types": e.GrantTypes, "first_party": e.FirstParty}
		case oauth.ClientChanged:
			ev.Action = ActionClientUpdated
			ev.Details = map[string]any{"fields": e.Fields}
		case oauth.ClientSecretRotated:
			ev.Action = ActionClientSecretRotated
			if !e.PreviousValidUntil.IsZero() {
				ev.Details = map[string]any{"previous_valid_until": e.PreviousValidUntil.UTC().Format(time.RFC3339)}
			}
		case oauth.ClientDeleted:
			ev.Action = ActionClientDeleted
			ev.Details = map[string]any{"name": e.Name}
		default:
			return fmt.Errorf("oauth event %T has no audit action", e)
		}
		out = append(out, ev)
	}
	if err := s.d.Recorder.Record(ctx, out...); err != nil {
		return fmt.Errorf("record OAuth client events: %w", err)
	}
	return nil
}
