package identityapp

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/mailport"
	"github.com/secuird/authy/ports/sessionsport"
)

var (
	errEmailAlreadyVerified = shared.Conflict("identity.email_already_verified", "the email address is already verified")
	errResendRateLimited    = shared.RateLimited("identity.verification_rate_limited",
		"too many verification mails requested; retry later", 0)
)

// Names of the verification resend limits in refusal records.
const (
	limitResendUser   = "verification_user"
	limitResendClient = "verification_client"
)

// Reason given to sessions when a confirmed email change ends the others.
const revokeReasonEmailChanged = "email_changed"

// sendVerification stores l, a verification link for u's current address,
// and enqueues its mail, inside the unit of work carried by ctx; reason ("registration",
// "resend") goes into the audit record.
func (s *Service) sendVerification(ctx context.Context, u *identity.User, l link, reason string) error {
	if err := s.store(ctx, l); err != nil {
		return err
	}
	t := l.token
	if _, err := s.mail.Enqueue(ctx, mailport.Mail{
		To:           t.Email(),
		Data:         mailport.EmailVerification{Name: u.Name().String(), Token: l.secret, ExpiresAt: t.ExpiresAt()},
		DiscardAfter: t.ExpiresAt(),
	}); err != nil {
		return fmt.Errorf("enqueue verification mail: %w", err)
	}
	if err := s.audit.Record(ctx, userEvent(actionVerificationSent, u.ID(), map[string]any{"reason": reason}, t.CreatedAt())); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// ResendVerification implements identityport.Service. Requests are
// limited per user and per client (each one mails the account). An
// already verified email is a 409, not a silent 202: the caller is signed
// in to the account, so the answer tells it nothing it could not read from
// /auth/me.
func (s *Service) ResendVerification(ctx context.Context, p sessionsport.Principal) (identityport.VerificationSent, error) {
	client := clientOf(ctx)
	if name, d := s.takeAll(ctx, []limitCheck{
		{limitResendUser, resendUserKey(p.UserID), s.limits.VerificationResendPerUser},
		{limitResendClient, resendClientKey(client), s.limits.VerificationResendPerClient},
	}); !d.Allowed {
		s.refuse(ctx, refusal{action: actionResendRateLimited, limit: name, client: client, user: p.UserID}, "verification")
		return identityport.VerificationSent{}, errResendRateLimited.WithRetryAfter(d.RetryAfter)
	}
	u, err := s.users.Get(ctx, p.UserID)
	if err != nil {
		return identityport.VerificationSent{}, fmt.Errorf("resend verification: %w", err)
	}
	if u.EmailVerified() {
		return identityport.VerificationSent{}, errEmailAlreadyVerified
	}
	l, err := s.newLink(u.ID(), identity.PurposeVerifyEmail, u.Email(), uuid.Nil, s.now())
	if err != nil {
		return identityport.VerificationSent{}, fmt.Errorf("resend verification: %w", err)
	}
	err = s.uow.Transaction(ctx, func(ctx context.Context) error {
		// Read again under the lock: a verification or an email change
		// confirmed meanwhile (which verifies the new address) must not be
		// followed by a link to the old one.
		cur, err := s.users.Update(ctx, p.UserID, func(x *identity.User) error {
			if x.EmailVerified() || !x.Email().Equal(u.Email()) {
				return errEmailAlreadyVerified
			}
			return nil
		})
		if err != nil {
			return err
		}
		return s.sendVerification(ctx, cur, l, "resend")
	})
	if err != nil {
		return identityport.VerificationSent{}, fmt.Errorf("resend verification: %w", err)
	}
	return identityport.VerificationSent{Email: u.Email().String(), ExpiresAt: l.token.ExpiresAt()}, nil
}

// VerifyEmail implements identityport.Service.
//
// One operation serves both links that open /verify-email: the token's
// purpose says which. A verification link proves the account's current
// address (a link mailed to an address the account no longer has proves
// nothing). An email change link switches the account to the confirmed
// address, re-checking that no live account took it meanwhile (the
// unique index decides a race), verifies it, retires every other link
// (they were mailed about the old address) and ends every session but the
// one that asked for the change. Either proves the address: the external
// identities that never vouched for it are unlinked, with the sessions
// opened through them (see identityport.EmailProofListener). Nothing is
// signed in by either: opening a link proves the mailbox, not the password.
func (s *Service) VerifyEmail(ctx context.Context, cmd identityport.VerifyEmailCommand) (identityport.EmailConfirmed, error) {
	if err := s.takeLinkToken(ctx, "verify_email"); err != nil {
		return identityport.EmailConfirmed{}, err
	}
	h, err := s.linkTokenHash("token", cmd.Token)
	if err != nil {
		return identityport.EmailConfirmed{}, err
	}
	now := s.now()
	t, err := s.tokens.Find(ctx, h)
	if err != nil {
		return identityport.EmailConfirmed{}, fmt.Errorf("verify email: %w", err)
	}
	purpose := t.Purpose()
	if purpose != identity.PurposeVerifyEmail && purpose != identity.PurposeChangeEmail {
		return identityport.EmailConfirmed{}, identity.ErrTokenInvalid
	}
	if err := t.Check(purpose, now); err != nil {
		return identityport.EmailConfirmed{}, err
	}
	if purpose == identity.PurposeChangeEmail {
		// A cheap look-up first answers the common case with a clean 409;
		// the unique index still decides a race.
		other, err := s.users.FindByEmail(ctx, t.Email())
		switch {
		case err == nil && other.ID() != t.User():
			return identityport.EmailConfirmed{}, identity.ErrEmailTaken
		case err != nil && !errors.Is(err, identity.ErrUserNotFound):
			return identityport.EmailConfirmed{}, fmt.Errorf("verify email: %w", err)
		}
	}
	var out identityport.EmailConfirmed
	err = s.uow.Transaction(ctx, func(ctx context.Context) error {
		t, err := s.tokens.Use(ctx, h, func(x *identity.Token) error { return x.Use(purpose, now) })
		if err != nil {
			return err
		}
		u, err := s.users.Update(ctx, t.User(), func(u *identity.User) error {
			if purpose == identity.PurposeChangeEmail {
				return u.ChangeEmail(t.Email(), now)
			}
			return u.VerifyEmail(t.Email(), now)
		})
		if errors.Is(err, identity.ErrUserNotFound) {
			// The account was deleted since: the link applies to nothing.
			return identity.ErrTokenInvalid
		}
		if err != nil {
			return err
		}
		out = identityport.EmailConfirmed{UserID: u.ID(), Email: u.Email().String()}
		extra := map[string]any{}
		proof := identityport.EmailProof{User: u.ID(), Email: u.Email().String(), Via: proofVerification}
		if purpose == identity.PurposeChangeEmail {
			if _, err := s.tokens.Retire(ctx, u.ID(), now,
				identity.PurposeVerifyEmail, identity.PurposeChangeEmail, identity.PurposeResetPassword); err != nil {
				return fmt.Errorf("retire links: %w", err)
			}
			n, err := s.sessions.RevokeAllOf(ctx, u.ID(), t.Session(), revokeReasonEmailChanged)
			if err != nil {
				return fmt.Errorf("revoke other sessions: %w", err)
			}
			out.Changed, out.SessionsRevoked = true, n
			extra["sessions_revoked"] = n
			proof.Keep, proof.Via = t.Session(), proofEmailChange
		} else if _, err := s.tokens.Retire(ctx, u.ID(), now, identity.PurposeVerifyEmail); err != nil {
			return fmt.Errorf("retire links: %w", err)
		}
		eff, err := s.emailProven(ctx, proof)
		if err != nil {
			return err
		}
		out.Unlinked, out.SessionsRevoked = eff.Unlinked, out.SessionsRevoked+eff.SessionsRevoked
		if ev := auditEvents(u.PullEvents(), extra); len(ev) > 0 {
			if err := s.audit.Record(ctx, ev...); err != nil {
				return fmt.Errorf("audit: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return identityport.EmailConfirmed{}, fmt.Errorf("verify email: %w", err)
	}
	return out, nil
}
