// Package passkeyapp implements the passkey context's use cases
// (passkeyport.Service) and the clean-up of a deleted account
// (identityport.DeletionGuard), one file per concern.
//
// A ceremony is taken (removed) from its store before its response is
// checked, so a response is accepted once across every instance sharing
// the database, whatever the outcome. A sign-in moves the credential's
// counter forward under its row lock in the transaction that starts the
// session, so two instances racing with one assertion start one session.
//
// It imports only its domain, domain/shared and ports: never Fiber, GORM,
// the WebAuthn library, an adapter or another context's application.
package passkeyapp

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/passkeyport"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/sessionsport"
)

// Limits bound ceremonies and failed sign-ins per client; a zero limit
// takes its default.
type Limits struct {
	// FailuresPerClient counts failed passwordless sign-ins of one client.
	FailuresPerClient platformport.Limit
	// BeginsPerClient counts ceremonies one client begins (each is a
	// stored row until it is finished or expires).
	BeginsPerClient platformport.Limit
}

// DefaultLimits are the limits a zero Limits field takes.
func DefaultLimits() Limits {
	return Limits{
		FailuresPerClient: platformport.Limit{Max: 10, Window: 15 * time.Minute},
		BeginsPerClient:   platformport.Limit{Max: 60, Window: 5 * time.Minute},
	}
}

// Deps are the ports the service uses. Every field but SecondFactor,
// Limits, NewID and Log is required.
type Deps struct {
	UnitOfWork   platformport.UnitOfWork
	Credentials  passkeyport.CredentialRepository
	Ceremonies   passkeyport.CeremonyRepository
	Tokens       passkeyport.CeremonyTokens
	RelyingParty passkeyport.RelyingParty
	StepUp       passkeyport.StepUp
	Accounts     passkeyport.Accounts
	Sessions     sessionsport.Service
	Recorder     auditport.Recorder
	Clock        platformport.Clock
	Limiter      platformport.RateLimiter
	// SecondFactor, when set, is asked for the second step of a sign-in
	// whose authenticator did not verify its user (the mfa context).
	SecondFactor identityport.SecondFactor
	Limits       Limits
	// NewID generates passkey and ceremony ids (uuid.New when nil).
	NewID func() uuid.UUID
	Log   *slog.Logger
}

// Service implements passkeyport.Service and identityport.DeletionGuard.
type Service struct {
	d Deps
	// gate, when set, is asked before a passwordless sign-in of an
	// address (an organization's enforced single sign-on); set once
	// before the server starts.
	gate identityport.SignInGate
}

// SetSignInGate installs the gate asked before a passwordless sign-in: an
// address whose organization enforces single sign-on signs in through it,
// not with a passkey (as not with a password).
func (s *Service) SetSignInGate(g identityport.SignInGate) { s.gate = g }

// gateVia names a passkey sign-in to the gate.
const gateVia = "passkey"

var (
	_ passkeyport.Service        = (*Service)(nil)
	_ identityport.DeletionGuard = (*Service)(nil)
)

// New checks that every dependency is present.
func New(d Deps) (*Service, error) {
	if d.UnitOfWork == nil || d.Credentials == nil || d.Ceremonies == nil || d.Tokens == nil || d.RelyingParty == nil ||
		d.StepUp == nil || d.Accounts == nil || d.Sessions == nil || d.Recorder == nil || d.Clock == nil || d.Limiter == nil {
		return nil, errors.New("passkeyapp: every dependency is required")
	}
	if d.NewID == nil {
		d.NewID = uuid.New
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	def := DefaultLimits()
	for _, l := range []struct{ got, def *platformport.Limit }{
		{&d.Limits.FailuresPerClient, &def.FailuresPerClient},
		{&d.Limits.BeginsPerClient, &def.BeginsPerClient},
	} {
		if l.got.Max <= 0 || l.got.Window <= 0 {
			*l.got = *l.def
		}
	}
	return &Service{d: d}, nil
}

// now is the clock's time in UTC at microsecond precision, the precision
// every store keeps.
func (s *Service) now() time.Time { return s.d.Clock.Now().UTC().Truncate(time.Microsecond) }

// BeforeAccountDeletion implements identityport.DeletionGuard: the
// account's passkeys and ceremonies go with it.
func (s *Service) BeforeAccountDeletion(ctx context.Context, user shared.UserID) error {
	if err := s.d.Credentials.DeleteOfUser(ctx, user); err != nil {
		return err
	}
	return s.d.Ceremonies.DeleteOfUser(ctx, user)
}

func clientOf(ctx context.Context) string {
	return shared.ClientKey(shared.RequestMetaFrom(ctx).ClientIP)
}

func failuresKey(client string) string { return "passkey:login-failures:" + client }
func beginsKey(client string) string   { return "passkey:begins:" + client }

// take and peek admit when the limiter cannot answer: the shared store
// being down slows defences, it must not stop sign-in.
func (s *Service) take(ctx context.Context, key string, l platformport.Limit) platformport.Decision {
	d, err := s.d.Limiter.Take(ctx, key, l)
	if err != nil {
		s.d.Log.WarnContext(ctx, "rate limiter unavailable; admitting", "error", err.Error())
		return platformport.Decision{Allowed: true}
	}
	return d
}

func (s *Service) peek(ctx context.Context, key string, l platformport.Limit) platformport.Decision {
	d, err := s.d.Limiter.Peek(ctx, key, l)
	if err != nil {
		s.d.Log.WarnContext(ctx, "rate limiter unavailable; admitting", "error", err.Error())
		return platformport.Decision{Allowed: true}
	}
	return d
}
