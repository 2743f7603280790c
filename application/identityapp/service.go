// Package identityapp implements identityport.Service: registration, login,
// the profile, password changes and account deletion, the mailed links
// (email verification, email change confirmation, password reset), plus the
// Directory other contexts use to look users up.
//
// It imports only the identity domain, domain/shared and ports: storage,
// hashing, sessions, audit, mail, rate limits and metrics all arrive as ports, so
// the package runs unchanged on memstore in unit tests and on GORM in
// production. It never imports Fiber, GORM, go-redis, net/http or an adapter.
package identityapp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/mailport"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/sessionsport"
)

// Limits are the abuse limits of the identity endpoints, shared by every
// server instance through the platformport.RateLimiter. Clients are
// identified by shared.ClientKey (an IPv6 client by its /64).
//
// Login throttles the attacker, not the victim: failures count per account
// and client, so guessing from one client refuses that client only; past a
// higher count across all clients only the clients the account signed in
// from recently may still try, so a botnet cannot lock its owner out either.
type Limits struct {
	// LoginPerIP counts every login attempt from one client.
	LoginPerIP platformport.Limit
	// LoginFailuresPerAccountClient counts failed logins for one email
	// (known or not, so the limit reveals nothing) from one client; once it
	// is spent that client's logins for that email are refused until the
	// oldest failure leaves the window. A success from the client clears it.
	LoginFailuresPerAccountClient platformport.Limit
	// LoginFailuresPerAccount counts failed logins for one email from every
	// client; once it is spent only known clients (see KnownClientTTL) may
	// still try that email. A success does not clear it: the count bounds
	// guessing from unknown clients whatever the owner does.
	LoginFailuresPerAccount platformport.Limit
	// KnownClientTTL is how long a client an account signed in from counts
	// as known to it.
	KnownClientTTL time.Duration
	// RegisterPerIP counts registrations attempted from one client.
	RegisterPerIP platformport.Limit
	// PasswordChangePerSession counts password change attempts of one
	// session, and of one user from one client: a stolen session can guess
	// the current password only so often, and spending its budget does not
	// stop the owner's other sessions elsewhere.
	PasswordChangePerSession platformport.Limit
	// PasswordChangePerUser counts password change attempts of one user
	// across every session: a ceiling for an attacker holding several.
	PasswordChangePerUser platformport.Limit
	// EmailChangePerUser and EmailChangePerClient count attempts to change
	// the account's email, each of which tells whether an address is taken.
	EmailChangePerUser   platformport.Limit
	EmailChangePerClient platformport.Limit
	// VerificationResendPerUser and VerificationResendPerClient count
	// requests for another verification mail.
	VerificationResendPerUser   platformport.Limit
	VerificationResendPerClient platformport.Limit
	// PasswordForgotPerClient and PasswordForgotPerAccount count reset
	// requests from one client, and for one email (known or not, so the
	// limit reveals nothing): each may mail the account.
	PasswordForgotPerClient  platformport.Limit
	PasswordForgotPerAccount platformport.Limit
	// LinkTokensPerClient counts the mailed links' tokens one client
	// presents (verification, email change confirmation, password reset).
	LinkTokensPerClient platformport.Limit
}

// DefaultLimits are the limits used when the configuration sets none.
func DefaultLimits() Limits {
	return Limits{
		LoginPerIP:                    platformport.Limit{Max: 10, Window: time.Minute},
		LoginFailuresPerAccountClient: platformport.Limit{Max: 5, Window: 15 * time.Minute},
		LoginFailuresPerAccount:       platformport.Limit{Max: 20, Window: 15 * time.Minute},
		KnownClientTTL:                30 * 24 * time.Hour,
		RegisterPerIP:                 platformport.Limit{Max: 30, Window: time.Hour},
		PasswordChangePerSession:      platformport.Limit{Max: 5, Window: time.Hour},
		PasswordChangePerUser:         platformport.Limit{Max: 20, Window: time.Hour},
		EmailChangePerUser:            platformport.Limit{Max: 5, Window: time.Hour},
		EmailChangePerClient:          platformport.Limit{Max: 20, Window: time.Hour},
		VerificationResendPerUser:     platformport.Limit{Max: 3, Window: time.Hour},
		VerificationResendPerClient:   platformport.Limit{Max: 10, Window: time.Hour},
		PasswordForgotPerClient:       platformport.Limit{Max: 10, Window: time.Hour},
		PasswordForgotPerAccount:      platformport.Limit{Max: 3, Window: time.Hour},
		LinkTokensPerClient:           platformport.Limit{Max: 100, Window: time.Hour},
	}
}

// knownClientsKept bounds the clients remembered per account; the oldest
// sign-in is forgotten first.
const knownClientsKept = 16

// Deps are the ports the service needs. Every field but NewID, NewTokenID,
// Log, ResetQueue and Limits is required; zero Limits fall back to
// DefaultLimits one by one.
type Deps struct {
	Users  identityport.UserRepository
	Tokens identityport.TokenRepository
	UoW    platformport.UnitOfWork
	// LinkTokens makes the secrets of mailed links.
	LinkTokens identityport.AccountTokens
	// Mail enqueues mail inside the unit of work of the change it is about.
	Mail     mailport.Enqueuer
	Hasher   identityport.PasswordHasher
	Policy   identityport.PasswordPolicy
	Sessions sessionsport.Service
	Audit    auditport.Recorder
	Limiter  platformport.RateLimiter
	// KnownClients remembers the clients each account signed in from.
	KnownClients platformport.RecentSet
	// Refusals counts attempts refused by a limit, per key and minute,
	// until RecordRefusals writes them to audit.
	Refusals platformport.Tally
	// Attempts decides a login's limits and tallies its refusal in one
	// call, on the state of Limiter, KnownClients and Refusals.
	Attempts platformport.AttemptGate
	Meter    platformport.Meter
	Clock    platformport.Clock
	Limits   Limits
	// NewID returns ids for new users (random UUIDs by default).
	NewID func() shared.UserID
	// NewTokenID returns ids for new link tokens (random UUIDs by default).
	NewTokenID func() uuid.UUID
	// ResetQueue bounds the password reset requests waiting for the
	// background step (DefaultResetQueue when zero).
	ResetQueue int
	// Log receives what the service deliberately does not fail on (a rate
	// limiter or audit store that cannot answer for a failed attempt).
	Log *slog.Logger
}

// Service implements identityport.Service.
type Service struct {
	users    identityport.UserRepository
	tokens   identityport.TokenRepository
	uow      platformport.UnitOfWork
	links    identityport.AccountTokens
	mail     mailport.Enqueuer
	hasher   identityport.PasswordHasher
	policy   identityport.PasswordPolicy
	sessions sessionsport.Service
	audit    auditport.Recorder
	limiter  platformport.RateLimiter
	known    platformport.RecentSet
	refusals platformport.Tally
	attempts platformport.AttemptGate
	meter    platformport.Meter
	clock    platformport.Clock
	limits   Limits
	newID    func() shared.UserID
	newTokID func() uuid.UUID
	log      *slog.Logger
	// resets holds the password reset requests the background step
	// (RunPasswordResets) has yet to handle; see ForgotPassword.
	resets chan resetRequest

	hooksMu   sync.RWMutex
	listeners []identityport.RegistrationListener
	guard     identityport.DeletionGuard
	proofs    []identityport.EmailProofListener
	second    identityport.SecondFactor
	stepUp    identityport.StepUpGuard
	gate      identityport.SignInGate
}

var _ identityport.Service = (*Service)(nil)

// New checks d and returns the service.
func New(d Deps) (*Service, error) {
	missing := map[string]bool{
		"Users": d.Users == nil, "Tokens": d.Tokens == nil, "UoW": d.UoW == nil, "LinkTokens": d.LinkTokens == nil,
		"Mail": d.Mail == nil, "Hasher": d.Hasher == nil,
		"Policy": d.Policy == nil, "Sessions": d.Sessions == nil, "Audit": d.Audit == nil,
		"Limiter": d.Limiter == nil, "KnownClients": d.KnownClients == nil, "Refusals": d.Refusals == nil,
		"Attempts": d.Attempts == nil, "Meter": d.Meter == nil, "Clock": d.Clock == nil,
	}
	for _, name := range []string{"Users", "Tokens", "UoW", "LinkTokens", "Mail", "Hasher", "Policy", "Sessions", "Audit", "Limiter", "KnownClients", "Refusals", "Attempts", "Meter", "Clock"} {
		if missing[name] {
			return nil, errors.New("identityapp: missing dependency " + name)
		}
	}
	def := DefaultLimits()
	l := d.Limits
	for _, p := range []struct{ got, def *platformport.Limit }{
		{&l.LoginPerIP, &def.LoginPerIP},
		{&l.LoginFailuresPerAccountClient, &def.LoginFailuresPerAccountClient},
		{&l.LoginFailuresPerAccount, &def.LoginFailuresPerAccount},
		{&l.RegisterPerIP, &def.RegisterPerIP},
		{&l.PasswordChangePerSession, &def.PasswordChangePerSession},
		{&l.PasswordChangePerUser, &def.PasswordChangePerUser},
		{&l.EmailChangePerUser, &def.EmailChangePerUser},
		{&l.EmailChangePerClient, &def.EmailChangePerClient},
		{&l.VerificationResendPerUser, &def.VerificationResendPerUser},
		{&l.VerificationResendPerClient, &def.VerificationResendPerClient},
		{&l.PasswordForgotPerClient, &def.PasswordForgotPerClient},
		{&l.PasswordForgotPerAccount, &def.PasswordForgotPerAccount},
		{&l.LinkTokensPerClient, &def.LinkTokensPerClient},
	} {
		if p.got.Max <= 0 || p.got.Window <= 0 {
			*p.got = *p.def
		}
	}
	if l.KnownClientTTL <= 0 {
		l.KnownClientTTL = def.KnownClientTTL
	}
	queue := d.ResetQueue
	if queue <= 0 {
		queue = DefaultResetQueue
	}
	s := &Service{
		users: d.Users, tokens: d.Tokens, uow: d.UoW, links: d.LinkTokens, mail: d.Mail, hasher: d.Hasher, policy: d.Policy, sessions: d.Sessions,
		audit: d.Audit, limiter: d.Limiter, known: d.KnownClients, refusals: d.Refusals, attempts: d.Attempts, meter: d.Meter, clock: d.Clock, limits: l,
		newID: d.NewID, newTokID: d.NewTokenID, log: d.Log, resets: make(chan resetRequest, queue),
	}
	if s.newID == nil {
		s.newID = func() shared.UserID { return shared.UserID(uuid.New()) }
	}
	if s.newTokID == nil {
		s.newTokID = uuid.New
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s, nil
}

// AddRegistrationListener makes l part of every registration's transaction.
// Call it while wiring, before the server serves.
func (s *Service) AddRegistrationListener(l identityport.RegistrationListener) {
	s.hooksMu.Lock()
	defer s.hooksMu.Unlock()
	s.listeners = append(s.listeners, l)
}

// SetDeletionGuard makes g part of every account deletion's transaction.
// Call it while wiring, before the server serves.
func (s *Service) SetDeletionGuard(g identityport.DeletionGuard) {
	s.hooksMu.Lock()
	defer s.hooksMu.Unlock()
	s.guard = g
}

// SetSecondFactor makes f part of every password login's transaction: an
// account it challenges gets no session until the challenge is answered.
// Call it while wiring, before the server serves.
func (s *Service) SetSecondFactor(f identityport.SecondFactor) {
	s.hooksMu.Lock()
	defer s.hooksMu.Unlock()
	s.second = f
}

// SetStepUpGuard makes g part of every account deletion, email change and
// password change. Call it while wiring, before the server serves.
func (s *Service) SetStepUpGuard(g identityport.StepUpGuard) {
	s.hooksMu.Lock()
	defer s.hooksMu.Unlock()
	s.stepUp = g
}

// requireStepUp asks the StepUpGuard, when one is set, whether p is recent
// enough for a sensitive change.
func (s *Service) requireStepUp(ctx context.Context, p sessionsport.Principal, passwordChecked bool) error {
	s.hooksMu.RLock()
	g := s.stepUp
	s.hooksMu.RUnlock()
	if g == nil {
		return nil
	}
	return g.RequireRecent(ctx, p, passwordChecked)
}

func (s *Service) secondFactor() identityport.SecondFactor {
	s.hooksMu.RLock()
	defer s.hooksMu.RUnlock()
	return s.second
}

func (s *Service) hooks() ([]identityport.RegistrationListener, identityport.DeletionGuard) {
	s.hooksMu.RLock()
	defer s.hooksMu.RUnlock()
	return append([]identityport.RegistrationListener(nil), s.listeners...), s.guard
}

// now is truncated to microseconds, the precision PostgreSQL stores, so a
// view returned at once equals the same user read back later.
func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

// Rate-limit keys. Emails are hashed (accountOf) so the shared store holds
// no address; clients are shared.ClientKey values, so rotating addresses
// within an IPv6 /64 or adding a zone does not multiply a budget.
func loginIPKey(client string) string { return "identity:login:ip:" + client }
func loginPairKey(account, client string) string {
	return "identity:login:account-client:" + account + ":" + client
}
func loginAccountKey(account string) string { return "identity:login:account:" + account }
func knownClientsSet(account string) string { return "identity:login:known:" + account }
func registerIPKey(client string) string    { return "identity:register:ip:" + client }
func passwordSessionKey(id uuid.UUID) string {
	return "identity:password:session:" + id.String()
}
func passwordUserClientKey(id shared.UserID, client string) string {
	return "identity:password:user-client:" + id.String() + ":" + client
}
func passwordUserKey(id shared.UserID) string { return "identity:password:user:" + id.String() }
func emailUserKey(id shared.UserID) string    { return "identity:email-change:user:" + id.String() }
func emailClientKey(client string) string     { return "identity:email-change:ip:" + client }
func resendUserKey(id shared.UserID) string   { return "identity:verify-resend:user:" + id.String() }
func resendClientKey(client string) string    { return "identity:verify-resend:ip:" + client }
func forgotClientKey(client string) string    { return "identity:password-forgot:ip:" + client }
func forgotAccountKey(account string) string  { return "identity:password-forgot:account:" + account }
func linkTokenClientKey(client string) string { return "identity:link-token:ip:" + client }

// accountOf names an account in limiter keys and refusal records without
// the address: the first 16 bytes of SHA-256 of the normalized email, hex.
func accountOf(normalizedEmail string) string {
	sum := sha256.Sum256([]byte(normalizedEmail))
	return hex.EncodeToString(sum[:16])
}

// clientOf is the caller's client key (shared.ClientKey of its address).
func clientOf(ctx context.Context) string {
	return shared.ClientKey(shared.RequestMetaFrom(ctx).ClientIP)
}

// take counts one event. A limiter that cannot answer admits the request:
// the shared store being down slows defences, it must not stop the service
// (the bounded hasher still caps the work a flood can cause).
func (s *Service) take(ctx context.Context, key string, l platformport.Limit) platformport.Decision {
	d, err := s.limiter.Take(ctx, key, l)
	if err != nil {
		s.log.WarnContext(ctx, "rate limiter unavailable; admitting", "error", err.Error())
		return platformport.Decision{Allowed: true}
	}
	return d
}

func (s *Service) peek(ctx context.Context, key string, l platformport.Limit) platformport.Decision {
	d, err := s.limiter.Peek(ctx, key, l)
	if err != nil {
		s.log.WarnContext(ctx, "rate limiter unavailable; admitting", "error", err.Error())
		return platformport.Decision{Allowed: true}
	}
	return d
}

// limitCheck is one limit of an attempt that several limits bound.
type limitCheck struct {
	name  string
	key   string
	limit platformport.Limit
}

// takeAll admits an attempt only when every limit has room, and then counts
// it against each: a refused attempt spends no budget, so a refusal by one
// limit (a stolen session's) does not eat another's (the owner's). It returns
// the name of the limit that refused, with its decision.
func (s *Service) takeAll(ctx context.Context, checks []limitCheck) (string, platformport.Decision) {
	for _, c := range checks {
		if d := s.peek(ctx, c.key, c.limit); !d.Allowed {
			return c.name, d
		}
	}
	for _, c := range checks {
		if d := s.take(ctx, c.key, c.limit); !d.Allowed {
			// A concurrent attempt took the last unit between peek and take.
			return c.name, d
		}
	}
	return "", platformport.Decision{Allowed: true}
}

// recordAttempt writes audit records of an attempt that changed nothing,
// outside any unit of work. A failure is logged, not returned: the caller's
// answer (401, 429) must not turn into a 500 because audit is slow.
func (s *Service) recordAttempt(ctx context.Context, ev auditport.Event) {
	if err := s.audit.Record(ctx, ev); err != nil {
		s.log.ErrorContext(ctx, "audit record of a failed attempt lost", "action", ev.Action, "error", err.Error())
	}
}

func view(u *identity.User) identityport.UserView {
	return identityport.UserView{
		ID: u.ID(), Email: u.Email().String(), EmailVerified: u.EmailVerified(), EmailVerifiedAt: u.EmailVerifiedAt(),
		Name: u.Name().String(), CreatedAt: u.CreatedAt(), UpdatedAt: u.UpdatedAt(),
	}
}

func summary(u *identity.User) identityport.UserSummary {
	return identityport.UserSummary{ID: u.ID(), Email: u.Email().String(), Name: u.Name().String(), EmailVerified: u.EmailVerified()}
}

// auditEvents turns the aggregate's domain events into audit records by the
// user itself; extra details are merged into every record.
func auditEvents(events []identity.Event, extra map[string]any) []auditport.Event {
	out := make([]auditport.Event, 0, len(events))
	for _, e := range events {
		ev := auditport.Event{
			ActorType: auditport.ActorUser, ActorID: e.UserID().String(),
			TargetType: "user", TargetID: e.UserID().String(),
			OccurredAt: e.OccurredAt(),
		}
		switch e := e.(type) {
		case identity.UserRegistered:
			ev.Action = "auth.register"
		case identity.ProfileUpdated:
			ev.Action = "user.profile.updated"
			ev.Details = map[string]any{"fields": append([]string(nil), e.Fields...)}
		case identity.PasswordChanged:
			ev.Action = "user.password.changed"
		case identity.UserDeleted:
			ev.Action = "user.deleted"
		case identity.EmailVerified:
			ev.Action = actionEmailVerified
		case identity.EmailChanged:
			ev.Action = actionEmailChanged
		case identity.PasswordReset:
			ev.Action = actionPasswordResetCompleted
			ev.Details = map[string]any{"email_verified": e.EmailVerified}
		default:
			continue
		}
		for k, v := range extra {
			if ev.Details == nil {
				ev.Details = map[string]any{}
			}
			ev.Details[k] = v
		}
		out = append(out, ev)
	}
	return out
}

// passwordReasons combines the domain's rule with the policy port; the list
// is only consulted for a password of acceptable length.
func (s *Service) passwordReasons(plain string, email identity.Email) []string {
	if r := identity.CheckNewPassword(plain, email); r != nil {
		return r
	}
	return s.policy.Check(plain)
}
