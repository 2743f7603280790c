// Package federationapp implements federationport.Service: signing in and
// linking accounts through external identity providers (Google, GitHub,
// Microsoft and any OpenID Connect provider), the one-time login codes of
// single-page apps, and the list and removal of linked identities. It is
// also identity's DeletionGuard for what it owns (a deleted account's
// identities go with it) and its EmailProofListener (a proof of the
// account's address unlinks the identities that never vouched for it).
//
// Flows are the security core: the state, nonce and PKCE verifier are
// random (256 bits), kept server-side by their hash where they need not be
// read back, spent by the first callback that presents the state, and
// accepted only from the browser whose cookie holds the flow's binding.
//
// It imports only its domain, domain/shared and ports: the providers, the
// stores, identity, sessions and audit all arrive as ports. It never
// imports Fiber, GORM, net/http, an adapter or another application.
package federationapp

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/federation"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/federationport"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/sessionsport"
)

// Deps are the ports the service needs; NewSecret, NewID and Log are
// optional.
type Deps struct {
	Providers  []federationport.Upstream
	Identities federationport.IdentityRepository
	Flows      federationport.FlowStore
	Codes      federationport.LoginCodeStore
	UoW        platformport.UnitOfWork
	Accounts   identityport.ExternalAccounts
	Directory  identityport.Directory
	Sessions   sessionsport.Service
	// Revoker ends the sessions opened through identities a proof of the
	// account's address unlinks (see EmailProven).
	Revoker sessionsport.MethodRevoker
	Audit   auditport.Recorder
	Clock   platformport.Clock
	// Limiter and StartsPerClient bound how many flows one client (an
	// IPv4 address or an IPv6 /64) may start: each stores a row until it
	// expires. A nil Limiter sets no bound; a zero limit is
	// DefaultStartsPerClient.
	Limiter         platformport.RateLimiter
	StartsPerClient platformport.Limit
	// NewSecret returns 256 random bits as URL-safe text (crypto/rand by
	// default): states, nonces, PKCE verifiers and login codes.
	NewSecret func() (string, error)
	NewID     func() uuid.UUID
	Log       *slog.Logger
}

// Service implements federationport.Service.
type Service struct {
	providers  []federationport.Upstream
	byName     map[string]federationport.Upstream
	identities federationport.IdentityRepository
	flows      federationport.FlowStore
	codes      federationport.LoginCodeStore
	uow        platformport.UnitOfWork
	accounts   identityport.ExternalAccounts
	directory  identityport.Directory
	sessions   sessionsport.Service
	revoker    sessionsport.MethodRevoker
	audit      auditport.Recorder
	clock      platformport.Clock
	limiter    platformport.RateLimiter
	starts     platformport.Limit
	newSecret  func() (string, error)
	newID      func() uuid.UUID
	log        *slog.Logger

	gateMu sync.RWMutex
	gate   identityport.SignInGate
	second identityport.SecondFactor
}

var (
	_ federationport.Service     = (*Service)(nil)
	_ identityport.DeletionGuard = (*Service)(nil)
)

// New checks d and returns the service. Two providers with one name are an
// error.
func New(d Deps) (*Service, error) {
	switch {
	case d.Identities == nil || d.Flows == nil || d.Codes == nil || d.UoW == nil:
		return nil, errors.New("federationapp: the stores and the unit of work are required")
	case d.Accounts == nil || d.Directory == nil || d.Sessions == nil || d.Revoker == nil || d.Audit == nil || d.Clock == nil:
		return nil, errors.New("federationapp: identity, sessions and their method revoker, audit and the clock are required")
	}
	s := &Service{
		providers: d.Providers, byName: map[string]federationport.Upstream{}, identities: d.Identities, flows: d.Flows,
		codes: d.Codes, uow: d.UoW, accounts: d.Accounts, directory: d.Directory, sessions: d.Sessions, revoker: d.Revoker, audit: d.Audit,
		clock: d.Clock, limiter: d.Limiter, starts: d.StartsPerClient, newSecret: d.NewSecret, newID: d.NewID, log: d.Log,
	}
	if s.starts.Max <= 0 || s.starts.Window <= 0 {
		s.starts = DefaultStartsPerClient
	}
	for _, p := range d.Providers {
		if p == nil {
			return nil, errors.New("federationapp: a nil provider")
		}
		if _, dup := s.byName[p.Name().String()]; dup {
			return nil, errors.New("federationapp: two providers are named " + p.Name().String())
		}
		s.byName[p.Name().String()] = p
	}
	if s.newSecret == nil {
		s.newSecret = randomSecret
	}
	if s.newID == nil {
		s.newID = uuid.New
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s, nil
}

// DefaultStartsPerClient is the bound on flows one client starts.
var DefaultStartsPerClient = platformport.Limit{Max: 60, Window: time.Minute}

func randomSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// digest is the stored form of a secret: SHA-256, hex.
func digest(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

func (s *Service) provider(name string) (federationport.Upstream, error) {
	p, ok := s.byName[name]
	if !ok {
		return nil, federation.ErrUnknownProvider
	}
	return p, nil
}

// Providers implements federationport.Service.
func (s *Service) Providers(context.Context) []federationport.ProviderView {
	out := make([]federationport.ProviderView, 0, len(s.providers))
	for _, p := range s.providers {
		out = append(out, federationport.ProviderView{Name: p.Name().String(), DisplayName: p.DisplayName(), Kind: p.Kind().String()})
	}
	return out
}

// Audit actions of the context.
const (
	actionSucceeded = "auth.external.succeeded"
	actionFailed    = "auth.external.failed"
	actionExchanged = "auth.external.code_exchanged"
	actionLinked    = "user.identity.linked"
	actionUnlinked  = "user.identity.unlinked"
)

// recordFailure writes the record of a refused attempt outside any unit of
// work (it changed nothing); a failure to write is logged, not returned.
func (s *Service) recordFailure(ctx context.Context, provider, reason string, user string) {
	ev := auditport.Event{
		Action: actionFailed, ActorType: auditport.ActorAnonymous,
		Details: map[string]any{"provider": provider, "reason": reason}, OccurredAt: s.now(),
	}
	if user != "" {
		ev.TargetType, ev.TargetID = "user", user
	}
	if err := s.audit.Record(ctx, ev); err != nil {
		s.log.ErrorContext(ctx, "audit record of a failed external sign-in lost", "reason", reason, "error", err.Error())
	}
}

func userEvent(action, user string, details map[string]any, at time.Time) auditport.Event {
	return auditport.Event{
		Action: action, ActorType: auditport.ActorUser, ActorID: user, TargetType: "user", TargetID: user,
		Details: details, OccurredAt: at,
	}
}
