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
	reasonRateLimited   = "rate_limited"
)

// Login implements identityport.Service.
//
// The unknown-email and wrong-password paths do the same work in the same
// order (one look-up, one verification with the same argon2id parameters,
// one limiter update, one audit record) and return the same error, so
// neither the answer nor its timing tells whether an account exists.
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
	key := identity.NormalizeEmail(cmd.Email)
	ip := shared.RequestMetaFrom(ctx).ClientIP
	if d := s.take(ctx, loginIPKey(ip), s.limits.LoginPerIP); !d.Allowed {
		return identityport.LoginResult{}, s.loginRateLimited(ctx, cmd.Email, d)
	}
	if d := s.peek(ctx, loginAccountKey(key), s.limits.LoginFailuresPerAccount); !d.Allowed {
		return identityport.LoginResult{}, s.loginRateLimited(ctx, cmd.Email, d)
	}

	u, err := s.lookUp(ctx, cmd.Email)
	if err != nil {
		return identityport.LoginResult{}, fmt.Errorf("login: %w", err)
	}
	if u == nil {
		if err := s.hasher.VerifyDummy(ctx, cmd.Password); err != nil {
			return identityport.LoginResult{}, fmt.Errorf("login: %w", err)
		}
		return identityport.LoginResult{}, s.loginFailed(ctx, key, nil, reasonUnknownEmail)
	}
	verified := u.PasswordHash()
	match, rehash, err := s.hasher.Verify(ctx, cmd.Password, verified)
	if err != nil {
		return identityport.LoginResult{}, fmt.Errorf("login: %w", err)
	}
	if !match {
		return identityport.LoginResult{}, s.loginFailed(ctx, key, u, reasonWrongPassword)
	}
	if err := s.limiter.Reset(ctx, loginAccountKey(key)); err != nil {
		s.log.WarnContext(ctx, "rate limiter unavailable; failure count not cleared", "error", err.Error())
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
	err = s.uow.Do(ctx, func(ctx context.Context, r identityport.TxRepos) error {
		// Locking the user serialises this login with a concurrent password
		// change or deletion: either that change sees the new session and
		// revokes it, or this login sees the new hash and fails.
		cur, err := r.Users.Update(ctx, u.ID(), func(x *identity.User) error {
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
		if !upgraded.IsZero() {
			// The upgrade moves updated_at, which Me shows.
			s.holdProfile(ctx, cur.ID())
		}
		issued, err := s.sessions.Start(ctx, cur.ID())
		if err != nil {
			return fmt.Errorf("start session: %w", err)
		}
		details := map[string]any{"session_id": issued.Session.ID.String()}
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
			return identityport.LoginResult{}, s.loginFailed(ctx, key, u, reasonWrongPassword)
		}
		return identityport.LoginResult{}, fmt.Errorf("login: %w", err)
	}
	if !upgraded.IsZero() {
		s.holdProfile(context.WithoutCancel(ctx), res.User.ID)
	}
	s.meter.Add(platformport.MetricLogins, "succeeded", 1)
	return res, nil
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

func (s *Service) loginFailed(ctx context.Context, key string, u *identity.User, reason string) error {
	s.take(ctx, loginAccountKey(key), s.limits.LoginFailuresPerAccount)
	s.meter.Add(platformport.MetricLogins, "failed", 1)
	s.recordAttempt(ctx, failedLoginEvent(u, reason, s.now()))
	return identity.ErrInvalidCredentials
}

func (s *Service) loginRateLimited(ctx context.Context, raw string, d platformport.Decision) error {
	s.meter.Add(platformport.MetricRateLimited, "login", 1)
	s.meter.Add(platformport.MetricLogins, "failed", 1)
	u, err := s.lookUp(ctx, raw)
	if err != nil {
		s.log.WarnContext(ctx, "look-up for a rate-limited login failed", "error", err.Error())
		u = nil
	}
	s.recordAttempt(ctx, failedLoginEvent(u, reasonRateLimited, s.now()))
	return errLoginRateLimited.WithRetryAfter(d.RetryAfter)
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
