package identityapp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/mailport"
)

// DefaultResetQueue is how many password reset requests may wait for the
// background step before ForgotPassword answers that the server is busy.
const DefaultResetQueue = 1024

// resetDrainTimeout bounds the work a stopping RunPasswordResets still does
// on what is queued.
const resetDrainTimeout = 5 * time.Second

var (
	errForgotRateLimited = shared.RateLimited("identity.password_reset_rate_limited",
		"too many password reset requests; retry later", 0)
	errResetQueueFull = shared.Unavailable("identity.password_reset_busy",
		"the server is busy; retry shortly")
)

// Names of the password reset limits in refusal records.
const (
	limitForgotClient  = "password_reset_client"
	limitForgotAccount = "password_reset_account"
)

// Reason given to sessions when a password reset ends them.
const revokeReasonPasswordReset = "password_reset"

// resetRequest is one accepted ForgotPassword, waiting for the background
// step: the address as typed and the request's metadata (for the audit
// record and the mail's log lines).
type resetRequest struct {
	email string
	meta  shared.RequestMeta
}

// ForgotPassword implements identityport.Service.
//
// Every address gets the same answer from the same work. The request path
// validates the address, counts the attempt against its client and its
// account (the email as typed, known or not) and hands it to a bounded
// in-process queue: it reads no user, writes nothing and hashes nothing,
// whether or not an account has the address. Looking the account up,
// storing the token, enqueueing the mail and writing the audit record
// happen in RunPasswordResets, after the answer is sent, so neither the
// answer nor its timing can tell which addresses have accounts. (Doing the
// work inline would not do: a known address costs a transaction with
// three inserts, an unknown one none.) A full queue answers 503 whatever
// the address. The price: a request accepted by an instance that stops
// before its background step ran is lost, and the user asks again.
func (s *Service) ForgotPassword(ctx context.Context, cmd identityport.ForgotPasswordCommand) error {
	normalized := identity.NormalizeEmail(cmd.Email)
	if normalized == "" {
		return shared.Invalid(identity.CodeInvalidInput, "the request has invalid fields",
			map[string][]string{"email": {"is required"}})
	}
	if _, reason := identity.ParseEmail(cmd.Email); reason != "" {
		return shared.Invalid(identity.CodeInvalidInput, "the request has invalid fields",
			map[string][]string{"email": {reason}})
	}
	account := accountOf(normalized)
	client := clientOf(ctx)
	if name, d := s.takeAll(ctx, []limitCheck{
		{limitForgotClient, forgotClientKey(client), s.limits.PasswordForgotPerClient},
		{limitForgotAccount, forgotAccountKey(account), s.limits.PasswordForgotPerAccount},
	}); !d.Allowed {
		r := refusal{action: actionForgotRateLimited, limit: name, client: client}
		if name == limitForgotAccount {
			r.account = account
		}
		s.refuse(ctx, r, "password_reset")
		return errForgotRateLimited.WithRetryAfter(d.RetryAfter)
	}
	select {
	case s.resets <- resetRequest{email: cmd.Email, meta: shared.RequestMetaFrom(ctx)}:
		return nil
	default:
		return errResetQueueFull
	}
}

// RunPasswordResets is the background step of ForgotPassword: it handles
// queued requests until ctx ends, then what is still queued within a short
// deadline. serve runs it on every instance, for the requests that
// instance accepted.
func (s *Service) RunPasswordResets(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), resetDrainTimeout)
			defer cancel()
			s.DrainPasswordResets(final)
			return nil
		case req := <-s.resets:
			s.handleReset(ctx, req)
		}
	}
}

// DrainPasswordResets handles every request queued now and returns how
// many it handled (operator commands and tests call it; serve runs
// RunPasswordResets).
func (s *Service) DrainPasswordResets(ctx context.Context) int {
	n := 0
	for {
		select {
		case req := <-s.resets:
			s.handleReset(ctx, req)
			n++
		default:
			return n
		}
	}
}

// handleReset mails a reset link when a live account has the address. A
// failure is logged: the request was answered long ago.
func (s *Service) handleReset(ctx context.Context, req resetRequest) {
	ctx = shared.WithRequestMeta(ctx, req.meta)
	if err := s.sendReset(ctx, req.email); err != nil {
		s.log.ErrorContext(ctx, "password reset request not handled", "error", err.Error())
	}
}

func (s *Service) sendReset(ctx context.Context, email string) error {
	u, err := s.lookUp(ctx, email)
	if err != nil {
		return fmt.Errorf("look up the account: %w", err)
	}
	now := s.now()
	if u == nil {
		// Recorded without the address (the first 16 bytes of its SHA-256,
		// like refusals), so a mistyped password in the field leaks nowhere.
		return s.audit.Record(ctx, auditport.Event{
			Action: actionPasswordResetRequested, ActorType: auditport.ActorAnonymous,
			Details:    map[string]any{"account": accountOf(identity.NormalizeEmail(email)), "known": false},
			OccurredAt: now,
		})
	}
	l, err := s.newLink(u.ID(), identity.PurposeResetPassword, u.Email(), uuid.Nil, now)
	if err != nil {
		return err
	}
	return s.uow.Transaction(ctx, func(ctx context.Context) error {
		if err := s.store(ctx, l); err != nil {
			return err
		}
		t := l.token
		if _, err := s.mail.Enqueue(ctx, mailport.Mail{
			To:           t.Email(),
			Data:         mailport.PasswordReset{Name: u.Name().String(), Token: l.secret, ExpiresAt: t.ExpiresAt()},
			DiscardAfter: t.ExpiresAt(),
		}); err != nil {
			return fmt.Errorf("enqueue reset mail: %w", err)
		}
		ev := userEvent(actionPasswordResetRequested, u.ID(), map[string]any{"known": true}, now)
		ev.ActorType, ev.ActorID = auditport.ActorAnonymous, ""
		if err := s.audit.Record(ctx, ev); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		return nil
	})
}

// ResetPassword implements identityport.Service.
//
// The token is checked before anything costly (a forged, used or expired
// one costs a look-up, no hash), then the new password against the policy
// and the account's email, then hashed; the unit of work spends the token
// under its lock (of two racing resets one wins, the other gets
// identity.ErrTokenUsed), sets the password, verifies the email (the link
// proves the mailbox, so the external identities that never vouched for it
// are unlinked), retires the account's other reset links and ends every
// session. A link mailed to an address the account no longer has is
// identity.ErrTokenInvalid.
func (s *Service) ResetPassword(ctx context.Context, cmd identityport.ResetPasswordCommand) (identityport.PasswordReset, error) {
	if err := s.takeLinkToken(ctx, "password_reset"); err != nil {
		return identityport.PasswordReset{}, err
	}
	h, err := s.linkTokenHash("token", cmd.Token)
	if err != nil {
		return identityport.PasswordReset{}, err
	}
	if cmd.NewPassword == "" {
		return identityport.PasswordReset{}, shared.Invalid(identity.CodeInvalidInput, "the request has invalid fields",
			map[string][]string{"new_password": {"is required"}})
	}
	t, err := s.tokens.Find(ctx, h)
	if err != nil {
		return identityport.PasswordReset{}, fmt.Errorf("reset password: %w", err)
	}
	if err := t.Check(identity.PurposeResetPassword, s.now()); err != nil {
		return identityport.PasswordReset{}, err
	}
	u, err := s.users.Get(ctx, t.User())
	switch {
	case errors.Is(err, identity.ErrUserNotFound):
		return identityport.PasswordReset{}, identity.ErrTokenInvalid
	case err != nil:
		return identityport.PasswordReset{}, fmt.Errorf("reset password: %w", err)
	case !u.Email().Equal(t.Email()):
		return identityport.PasswordReset{}, identity.ErrTokenInvalid
	}
	f := shared.FieldErrors{}
	for _, r := range s.passwordReasons(cmd.NewPassword, u.Email()) {
		f.Add("new_password", r)
	}
	if err := f.Err(identity.CodeInvalidInput); err != nil {
		return identityport.PasswordReset{}, err
	}
	hash, err := s.hasher.Hash(ctx, cmd.NewPassword)
	if err != nil {
		return identityport.PasswordReset{}, fmt.Errorf("reset password: %w", err)
	}
	var out identityport.PasswordReset
	err = s.uow.Transaction(ctx, func(ctx context.Context) error {
		now := s.now()
		t, err := s.tokens.Use(ctx, h, func(x *identity.Token) error { return x.Use(identity.PurposeResetPassword, now) })
		if err != nil {
			return err
		}
		u, err := s.users.Update(ctx, t.User(), func(u *identity.User) error {
			return u.ResetPassword(hash, t.Email(), now)
		})
		if errors.Is(err, identity.ErrUserNotFound) {
			return identity.ErrTokenInvalid
		}
		if err != nil {
			return err
		}
		if _, err := s.tokens.Retire(ctx, u.ID(), now, identity.PurposeResetPassword); err != nil {
			return fmt.Errorf("retire links: %w", err)
		}
		n, err := s.sessions.RevokeAllOf(ctx, u.ID(), uuid.Nil, revokeReasonPasswordReset)
		if err != nil {
			return fmt.Errorf("revoke sessions: %w", err)
		}
		if err := s.audit.Record(ctx, auditEvents(u.PullEvents(), map[string]any{"sessions_revoked": n})...); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		eff, err := s.emailProven(ctx, identityport.EmailProof{User: u.ID(), Email: u.Email().String(), Via: proofReset})
		if err != nil {
			return err
		}
		out = identityport.PasswordReset{SessionsRevoked: n + eff.SessionsRevoked, Unlinked: eff.Unlinked}
		return nil
	})
	if err != nil {
		return identityport.PasswordReset{}, fmt.Errorf("reset password: %w", err)
	}
	return out, nil
}
