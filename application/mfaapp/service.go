// Package mfaapp implements the mfa context's use cases
// (mfaport.Service), the step-up check other contexts ask
// (mfaport.StepUp), the second step of a password sign-in
// (identityport.SecondFactor) and the clean-up of a deleted account
// (identityport.DeletionGuard), one file per concern.
//
// A code is checked under the factor's row lock and its time step stored
// in the same transaction as the change it authorises, so a code is
// accepted once across every instance sharing the database. Failed checks
// change nothing but the counters (the limiter, a challenge's failures)
// and their audit record.
//
// It imports only its domain, domain/shared and ports: never Fiber, GORM,
// an adapter or another context's application.
package mfaapp

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/mailport"
	"github.com/secuird/authy/ports/mfaport"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/sessionsport"
)

// Limits bound wrong codes; a zero limit takes its default.
type Limits struct {
	// PerChallenge counts the wrong codes one login challenge takes (the
	// challenge is also spent after mfa.MaxChallengeFailures).
	PerChallenge platformport.Limit
	// PerAccountClient counts wrong codes for one account from one client.
	PerAccountClient platformport.Limit
	// PerAccount counts wrong codes for one account from every client;
	// once spent, only a client that passed a factor of the account within
	// KnownClientTTL may still try, so the owner is not locked out.
	PerAccount platformport.Limit
	// KnownClientTTL is how long such a client stays known.
	KnownClientTTL time.Duration
}

// DefaultLimits are the limits a zero Limits field takes.
func DefaultLimits() Limits {
	return Limits{
		PerChallenge:     platformport.Limit{Max: 5, Window: 5 * time.Minute},
		PerAccountClient: platformport.Limit{Max: 10, Window: 15 * time.Minute},
		PerAccount:       platformport.Limit{Max: 30, Window: 15 * time.Minute},
		KnownClientTTL:   30 * 24 * time.Hour,
	}
}

// knownClientsKept bounds the clients remembered per account.
const knownClientsKept = 16

// Deps are the ports the service uses. Every field but Limits, Issuer,
// NewID and Log is required.
type Deps struct {
	UnitOfWork      platformport.UnitOfWork
	Factors         mfaport.FactorRepository
	RecoveryCodes   mfaport.RecoveryCodeRepository
	Challenges      mfaport.ChallengeRepository
	StepUps         mfaport.StepUpRepository
	Sealer          platformport.Sealer
	TOTP            mfaport.TOTPCodes
	Digests         mfaport.RecoveryCodeDigests
	ChallengeTokens mfaport.ChallengeTokens
	Directory       identityport.Directory
	Accounts        mfaport.Accounts
	Sessions        sessionsport.Service
	Mail            mailport.Enqueuer
	Recorder        auditport.Recorder
	Clock           platformport.Clock
	Limiter         platformport.RateLimiter
	KnownClients    platformport.RecentSet
	Limits          Limits
	// Issuer names the server in authenticator apps ("Authy" when empty).
	Issuer string
	// NewID generates factor and challenge ids (uuid.New when nil).
	NewID func() uuid.UUID
	Log   *slog.Logger
}

// Service implements mfaport.Service, mfaport.StepUp, mfaport.Enrolment,
// identityport.SecondFactor and identityport.DeletionGuard.
type Service struct {
	d Deps
	// keys, when set, makes passkeys a second factor of the login
	// challenge (set once before the server starts).
	keys mfaport.SecurityKeys
}

// SetSecurityKeys makes k's passkeys a factor a login challenge accepts.
func (s *Service) SetSecurityKeys(k mfaport.SecurityKeys) { s.keys = k }

var (
	_ mfaport.Service            = (*Service)(nil)
	_ mfaport.StepUp             = (*Service)(nil)
	_ mfaport.Enrolment          = (*Service)(nil)
	_ identityport.SecondFactor  = (*Service)(nil)
	_ identityport.DeletionGuard = (*Service)(nil)
)

// New checks that every dependency is present.
func New(d Deps) (*Service, error) {
	if d.UnitOfWork == nil || d.Factors == nil || d.RecoveryCodes == nil || d.Challenges == nil || d.StepUps == nil ||
		d.Sealer == nil || d.TOTP == nil || d.Digests == nil || d.ChallengeTokens == nil || d.Directory == nil ||
		d.Accounts == nil || d.Sessions == nil || d.Mail == nil || d.Recorder == nil || d.Clock == nil ||
		d.Limiter == nil || d.KnownClients == nil {
		return nil, errors.New("mfaapp: every dependency is required")
	}
	if d.NewID == nil {
		d.NewID = uuid.New
	}
	if d.Issuer == "" {
		d.Issuer = "Authy"
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	def := DefaultLimits()
	for _, l := range []struct{ got, def *platformport.Limit }{
		{&d.Limits.PerChallenge, &def.PerChallenge},
		{&d.Limits.PerAccountClient, &def.PerAccountClient},
		{&d.Limits.PerAccount, &def.PerAccount},
	} {
		if l.got.Max <= 0 || l.got.Window <= 0 {
			*l.got = *l.def
		}
	}
	if d.Limits.KnownClientTTL <= 0 {
		d.Limits.KnownClientTTL = def.KnownClientTTL
	}
	return &Service{d: d}, nil
}

// now is the clock's time in UTC at microsecond precision, the precision
// every store keeps.
func (s *Service) now() time.Time { return s.d.Clock.Now().UTC().Truncate(time.Microsecond) }

// BeforeAccountDeletion implements identityport.DeletionGuard: the
// account's factors, recovery codes and challenges go with it.
func (s *Service) BeforeAccountDeletion(ctx context.Context, user shared.UserID) error {
	if err := s.d.Factors.DeleteOfUser(ctx, user); err != nil {
		return err
	}
	if err := s.d.RecoveryCodes.Delete(ctx, user); err != nil {
		return err
	}
	return s.d.Challenges.DeleteOfUser(ctx, user)
}

func clientOf(ctx context.Context) string {
	return shared.ClientKey(shared.RequestMetaFrom(ctx).ClientIP)
}
