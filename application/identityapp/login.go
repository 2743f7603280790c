package identityapp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/sessionsport"
)

// maxLoginPasswordBytes bounds what a login hashes. It is generous (legacy
// accounts may predate the 128-character rule) yet keeps a megabyte body
// from being fed to the hasher.
const maxLoginPasswordBytes = 1024

var errLoginRateLimited = shared.RateLimited("identity.login_rate_limited",
	"too many login attempts; retry later", 0)

// Login failure reasons recorded in audit (internal; the client always sees
// identity.ErrInvalidCredentials).
const (
	reasonUnknownEmail  = "unknown_email"
	reasonWrongPassword = "wrong_password"
	reasonNoPassword    = "no_password"
)

// Names of the login limits in refusal records.
const (
	limitLoginClient        = "login_client"
	limitLoginAccountClient = "login_account_client"
	limitLoginAccount       = "login_account"
)

// Login implements identityport.Service.
//
// The unknown-email, no-password and wrong-password paths do the same work
// in the same order (one look-up, one verification doing one current-parameter argon2id
// computation, one limiter update, one audit record) and return the same
// error, so neither the answer nor its timing tells whether an account
// exists.
//
// Limits, checked before anything is read (a refused attempt costs one call
// of the attempt gate, one Redis round trip, which also tallies it for its
// summary record: no database read, no hash and no audit write of its own):
// attempts per client; failures per account and client; failures per
// account from every client, past which only a client the account signed in
// from within KnownClientTTL may still try. Limits are keyed by the email
// as typed (normalized), whether or not it has an account.
func (s *Service) Login(ctx context.Context, cmd identityport.LoginCommand) (identityport.LoginResult, error) {
	f := shared.FieldErrors{}
	if identity.NormalizeEmail(cmd.Email) == "" {
		f.Add("email", "is required")
	}
	switch {
	case cmd.Password == "":
		f.Add("password", "is required")
	case len(cmd.Password) > maxLoginPasswordBytes:
		f.Add("password", "is too long")
	}
	if err := f.Err(identity.CodeInvalidInput); err != nil {
		return identityport.LoginResult{}, err
	}
	account := accountOf(identity.NormalizeEmail(cmd.Email))
	client := clientOf(ctx)
	if err := s.admitLogin(ctx, account, client); err != nil {
		return identityport.LoginResult{}, err
	}

	if err := s.checkGate(ctx, cmd.Email, gatePassword); err != nil {
		return identityport.LoginResult{}, err
	}

	u, err := s.lookUp(ctx, cmd.Email)
	if err != nil {
		return identityport.LoginResult{}, fmt.Errorf("login: %w", err)
	}
	if u == nil {
		if err := s.hasher.VerifyDummy(ctx, cmd.Password); err != nil {
			return identityport.LoginResult{}, fmt.Errorf("login: %w", err)
		}
		return identityport.LoginResult{}, s.loginFailed(ctx, account, client, nil, reasonUnknownEmail)
	}
	if !u.HasPassword() {
		// An account without a password answers like a wrong password,
		// after the same work: no password matches it.
		if err := s.hasher.VerifyDummy(ctx, cmd.Password); err != nil {
			return identityport.LoginResult{}, fmt.Errorf("login: %w", err)
		}
		return identityport.LoginResult{}, s.loginFailed(ctx, account, client, u, reasonNoPassword)
	}
	verified := u.PasswordHash()
	match, rehash, err := s.hasher.Verify(ctx, cmd.Password, verified)
	if err != nil {
		return identityport.LoginResult{}, fmt.Errorf("login: %w", err)
	}
	if !match {
		return identityport.LoginResult{}, s.loginFailed(ctx, account, client, u, reasonWrongPassword)
	}

	var upgraded identity.PasswordHash
	if rehash {
		// A busy hasher only postpones the upgrade to a later login.
		if upgraded, err = s.hasher.Hash(ctx, cmd.Password); err != nil {
			s.log.WarnContext(ctx, "password hash upgrade postponed", "error", err.Error())
			upgraded = identity.PasswordHash{}
		}
	}

	var res identityport.LoginResult
	err = s.uow.Transaction(ctx, func(ctx context.Context) error {
		// Locking the user serialises this login with a concurrent password
		// change or deletion: either that change sees the new session and
		// revokes it, or this login sees the new hash and fails.
		cur, err := s.users.Update(ctx, u.ID(), func(x *identity.User) error {
			if !x.PasswordHash().Equal(verified) {
				return identity.ErrInvalidCredentials
			}
			if upgraded.IsZero() {
				return nil
			}
			return x.UpgradePasswordHash(upgraded, s.now())
		})
		if err != nil {
			return err
		}
		if sf := s.secondFactor(); sf != nil {
			ch, err := sf.ChallengeLogin(ctx, cur.ID(), sessionsport.MethodPassword)
			if err != nil {
				return fmt.Errorf("second factor: %w", err)
			}
			if ch != nil {
				res = identityport.LoginResult{User: view(cur), MFA: ch}
				return nil
			}
		}
		issued, err := s.sessions.Start(ctx, cur.ID(), sessionsport.MethodPassword)
		if err != nil {
			return fmt.Errorf("start session: %w", err)
		}
		details := map[string]any{"session_id": issued.Session.ID.String()}
		if t := sessionsport.TransportFrom(ctx); t != "" {
			details["transport"] = string(t) // a sign-in through the pages says "cookie"
		}
		if !upgraded.IsZero() {
			details["password_rehashed"] = true
		}
		if err := s.audit.Record(ctx, auditport.Event{
			Action: "auth.login.succeeded", ActorType: auditport.ActorUser, ActorID: cur.ID().String(),
			TargetType: "user", TargetID: cur.ID().String(), Details: details, OccurredAt: s.now(),
		}); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		res = identityport.LoginResult{Session: issued, User: view(cur)}
		return nil
	})
	if err != nil {
		if errors.Is(err, identity.ErrInvalidCredentials) || errors.Is(err, identity.ErrUserNotFound) {
			return identityport.LoginResult{}, s.loginFailed(ctx, account, client, u, reasonWrongPassword)
		}
		return identityport.LoginResult{}, fmt.Errorf("login: %w", err)
	}
	s.signedIn(context.WithoutCancel(ctx), account, client)
	s.meter.Add(platformport.MetricLogins, "succeeded", 1)
	return res, nil
}

// signedIn forgives the client its failures on the account and remembers it
// as known to the account. The account-wide count stays: it bounds guessing
// from unknown clients whatever the owner does.
func (s *Service) signedIn(ctx context.Context, account, client string) {
	if err := s.limiter.Reset(ctx, loginPairKey(account, client)); err != nil {
		s.log.WarnContext(ctx, "rate limiter unavailable; failure count not cleared", "error", err.Error())
	}
	if err := s.known.Add(ctx, knownClientsSet(account), client, s.limits.KnownClientTTL, knownClientsKept); err != nil {
		s.log.WarnContext(ctx, "known clients unavailable; sign-in not remembered", "error", err.Error())
	}
}

// lookUp finds the live user with email, or nil. An address that cannot be
// valid cannot have an account.
func (s *Service) lookUp(ctx context.Context, raw string) (*identity.User, error) {
	email, reason := identity.ParseEmail(raw)
	if reason != "" {
		return nil, nil
	}
	u, err := s.users.FindByEmail(ctx, email)
	if errors.Is(err, identity.ErrUserNotFound) {
		return nil, nil
	}
	return u, err
}

func (s *Service) loginFailed(ctx context.Context, account, client string, u *identity.User, reason string) error {
	s.take(ctx, loginPairKey(account, client), s.limits.LoginFailuresPerAccountClient)
	s.take(ctx, loginAccountKey(account), s.limits.LoginFailuresPerAccount)
	s.meter.Add(platformport.MetricLogins, "failed", 1)
	s.recordAttempt(ctx, failedLoginEvent(u, reason, s.now()))
	return identity.ErrInvalidCredentials
}

// admitLogin checks the login limits in order with one call of the
// attempt gate: attempts per client (counted), failures per account and
// client, failures per account (waived for a client the account signed in
// from recently). A refusal is tallied for its summary record by that same
// call. A gate that cannot answer admits, like a limiter that cannot.
func (s *Service) admitLogin(ctx context.Context, account, client string) error {
	refusals := [...]refusal{
		{action: actionLoginRateLimited, limit: limitLoginClient, client: client},
		{action: actionLoginRateLimited, limit: limitLoginAccountClient, client: client, account: account},
		{action: actionLoginRateLimited, limit: limitLoginAccount, account: account},
	}
	v, err := s.attempts.Admit(ctx, []platformport.LimitCheck{
		{Key: loginIPKey(client), Limit: s.limits.LoginPerIP, Take: true, TallyKey: refusals[0].key()},
		{Key: loginPairKey(account, client), Limit: s.limits.LoginFailuresPerAccountClient, TallyKey: refusals[1].key()},
		{Key: loginAccountKey(account), Limit: s.limits.LoginFailuresPerAccount, TallyKey: refusals[2].key(),
			WaiveSet: knownClientsSet(account), WaiveMember: client},
	}, RefusalWindow)
	if err != nil {
		s.log.WarnContext(ctx, "rate limiter unavailable; admitting", "error", err.Error())
		return nil
	}
	if v.Admitted() {
		return nil
	}
	s.meter.Add(platformport.MetricRateLimited, "login", 1)
	s.meter.Add(platformport.MetricLogins, "failed", 1)
	return errLoginRateLimited.WithRetryAfter(v.RetryAfter)
}

// failedLoginEvent never carries the attempted email or password: a user
// who typed a password into the email field must not find it in a log.
func failedLoginEvent(u *identity.User, reason string, now time.Time) auditport.Event {
	ev := auditport.Event{
		Action: "auth.login.failed", ActorType: auditport.ActorAnonymous,
		Details: map[string]any{"reason": reason}, OccurredAt: now,
	}
	if u != nil {
		ev.TargetType, ev.TargetID = "user", u.ID().String()
	}
	return ev
}
