// Package ssoapp implements the sso context's use cases: an
// organization's verified domains (a DNS TXT challenge), its identity
// provider connections (client secrets sealed at rest), home-realm
// discovery and the enforcement of single sign-on for the addresses of an
// enforced connection.
//
// Only owners manage domains and connections; anyone else in the
// organization is refused, and anyone outside it learns nothing (the
// organization's not-found). A domain routes sign-ins only once verified,
// and is verified by at most one organization (the store's unique index
// decides a race).
//
// It imports only its domain, domain/shared and ports: never Fiber, GORM,
// net/http, an adapter or another context's application.
package ssoapp

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/domain/sso"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/federationport"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/organizationsport"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/sessionsport"
	"github.com/secuird/authy/ports/ssoport"
)

// Limits bound the calls that reach the network or answer about
// addresses; a zero limit takes its default.
type Limits struct {
	// VerifyPerDomain bounds DNS look-ups of one organization's domain
	// (default 10 a minute).
	VerifyPerDomain platformport.Limit
	// DiscoverPerClient bounds home-realm discovery per client address
	// (default 30 a minute): it answers whether a domain has SSO.
	DiscoverPerClient platformport.Limit
	// StartsPerClient bounds the sign-ins one client starts (default 60 a
	// minute): each stores a flow until it expires.
	StartsPerClient platformport.Limit
}

// DefaultLimits are the limits a zero Limits field takes.
func DefaultLimits() Limits {
	return Limits{
		VerifyPerDomain:   platformport.Limit{Max: 10, Window: time.Minute},
		DiscoverPerClient: platformport.Limit{Max: 30, Window: time.Minute},
		StartsPerClient:   platformport.Limit{Max: 60, Window: time.Minute},
	}
}

// Deps are the ports the service uses; NewID, NewToken and Log are
// optional.
type Deps struct {
	UoW         platformport.UnitOfWork
	Domains     ssoport.DomainRepository
	Connections ssoport.ConnectionRepository
	Resolver    ssoport.TXTResolver
	// OIDC talks to the connections' OpenID Connect providers.
	OIDC ssoport.OIDCClient
	// SAML is the connections' SAML service provider.
	SAML ssoport.SAMLServiceProvider
	// CA issues the SAML service providers' certificates; nil (no
	// CA_ENCRYPTION_KEY in production) refuses SAML connections.
	CA      *CertificateAuthority
	Access  organizationsport.Access
	Audit   auditport.Recorder
	Clock   platformport.Clock
	Limiter platformport.RateLimiter
	Limits  Limits
	// Sealer seals client secrets (the ENCRYPTION_KEY keyring).
	Sealer platformport.Sealer
	// Flows and Identities keep started sign-ins and the identities
	// linked through connections.
	Flows      ssoport.FlowStore
	Identities ssoport.IdentityRepository
	// Directory, Accounts, Members, Sessions and LoginCodes are what a
	// sign-in asks of identity, organizations, sessions and federation
	// (whose login codes single-page apps redeem).
	Directory  identityport.Directory
	Accounts   identityport.ProvisionedAccounts
	Members    organizationsport.SSOJoiner
	Sessions   sessionsport.Service
	LoginCodes federationport.LoginCodeIssuer
	// URLs is which identity-provider URLs the deployment accepts.
	URLs sso.URLPolicy
	// PublicURL is Authy's public base URL (callbacks are below it).
	PublicURL string
	NewID     func() uuid.UUID
	// NewToken returns a domain challenge token (256 random bits).
	NewToken func() (string, error)
	Log      *slog.Logger
}

// Service implements ssoport.Admin.
type Service struct {
	d Deps

	secondMu sync.RWMutex
	second   identityport.SecondFactor
}

// SetSecondFactor makes a sign-in through a connection of an account with
// a second factor start no session: it answers the factor's challenge
// instead, completed like a password sign-in's. Call it while wiring.
func (s *Service) SetSecondFactor(f identityport.SecondFactor) {
	s.secondMu.Lock()
	defer s.secondMu.Unlock()
	s.second = f
}

func (s *Service) secondFactor() identityport.SecondFactor {
	s.secondMu.RLock()
	defer s.secondMu.RUnlock()
	return s.second
}

var _ ssoport.Admin = (*Service)(nil)

// New checks d and returns the service.
func New(d Deps) (*Service, error) {
	switch {
	case d.UoW == nil || d.Domains == nil || d.Connections == nil:
		return nil, errors.New("ssoapp: the unit of work and the stores are required")
	case d.Resolver == nil || d.Access == nil || d.Audit == nil || d.Clock == nil || d.Limiter == nil || d.Sealer == nil:
		return nil, errors.New("ssoapp: the resolver, organizations access, audit, the clock, the limiter and the sealer are required")
	case d.Flows == nil || d.Identities == nil || d.Directory == nil || d.Accounts == nil || d.Members == nil ||
		d.Sessions == nil || d.LoginCodes == nil:
		return nil, errors.New("ssoapp: the sign-in stores, identity, organizations, sessions and login codes are required")
	case d.PublicURL == "":
		return nil, errors.New("ssoapp: the public URL is required")
	}
	def := DefaultLimits()
	for _, l := range []struct{ got, def *platformport.Limit }{
		{&d.Limits.VerifyPerDomain, &def.VerifyPerDomain},
		{&d.Limits.DiscoverPerClient, &def.DiscoverPerClient},
		{&d.Limits.StartsPerClient, &def.StartsPerClient},
	} {
		if l.got.Max <= 0 || l.got.Window <= 0 {
			*l.got = *l.def
		}
	}
	if d.NewID == nil {
		d.NewID = uuid.New
	}
	if d.NewToken == nil {
		d.NewToken = randomToken
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	return &Service{d: d}, nil
}

func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (s *Service) now() time.Time { return s.d.Clock.Now().UTC().Truncate(time.Microsecond) }

// owner checks that actor owns org: a non-member gets the organization's
// not-found, any other member sso.ErrForbidden.
func (s *Service) owner(ctx context.Context, actor shared.UserID, org shared.OrganizationID) error {
	role, err := s.d.Access.MemberRole(ctx, org, actor)
	if err != nil {
		return err
	}
	if role != "owner" {
		return sso.ErrForbidden
	}
	return nil
}

// The audit actions of the context.
const (
	ActionDomainAdded         = "organization.domain.added"
	ActionDomainVerified      = "organization.domain.verified"
	ActionDomainRemoved       = "organization.domain.removed"
	ActionConnectionCreated   = "organization.sso_connection.created"
	ActionConnectionChanged   = "organization.sso_connection.changed"
	ActionConnectionDeleted   = "organization.sso_connection.deleted"
	ActionCertificateRotated  = "organization.sso_connection.certificate_rotated"
	ActionSignInSucceeded     = "auth.sso.succeeded"
	ActionSignInFailed        = "auth.sso.failed"
	ActionUserProvisioned     = "auth.sso.user_provisioned"
	ActionIdentityLinked      = "user.sso_identity.linked"
	ActionEmailNotUpdated     = "auth.sso.email_not_updated"
	ActionEnforcementRefusals = "auth.sso.required"
)

func orgEvent(action string, actor shared.UserID, org shared.OrganizationID, targetType, target string, details map[string]any, at time.Time) auditport.Event {
	return auditport.Event{
		Action: action, ActorType: auditport.ActorUser, ActorID: actor.String(), OrganizationID: org.String(),
		TargetType: targetType, TargetID: target, Details: details, OccurredAt: at,
	}
}
