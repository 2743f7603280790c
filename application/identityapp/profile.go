package identityapp

import (
	"context"
	"fmt"

	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/mailport"
	"github.com/secuird/authy/ports/sessionsport"
)

var errEmailChangeRateLimited = shared.RateLimited("identity.email_change_rate_limited",
	"too many email changes; retry later", 0)

// Names of the email change limits in refusal records.
const (
	limitEmailUser   = "email_user"
	limitEmailClient = "email_client"
)

// UpdateProfile implements identityport.Service.
//
// The name changes at once. A new email does not: the change needs
// re-authentication (the current password, or a recent sign-in for an
// account without one), then a confirmation link goes to the new address
// (identity.PurposeChangeEmail, replacing any earlier one) and a notice to
// the current one, and the account keeps its address until the link is
// opened (VerifyEmail). The answer is the same whether or not the new
// address has an account: nothing is looked up here, the link is mailed
// either way, and confirming an address another account has by then fails
// with identity.ErrEmailTaken, which only the owner of that mailbox can
// see. Attempts are still limited per user and per client
// (EmailChangePerUser, EmailChangePerClient): each one mails two people
// and, for a password account, checks a password.
func (s *Service) UpdateProfile(ctx context.Context, p sessionsport.Principal, cmd identityport.UpdateProfileCommand) (identityport.ProfileUpdated, error) {
	var change identity.ProfileChange
	var newEmail *identity.Email
	f := shared.FieldErrors{}
	if cmd.Email != nil {
		e, reason := identity.ParseEmail(*cmd.Email)
		if reason != "" {
			f.Add("email", reason)
		}
		newEmail = &e
	}
	if cmd.Name != nil {
		n, reason := identity.ParseName(*cmd.Name)
		if reason != "" {
			f.Add("name", reason)
		}
		change.Name = &n
	}
	if err := f.Err(identity.CodeInvalidInput); err != nil {
		return identityport.ProfileUpdated{}, err
	}
	var pending *link
	if newEmail != nil {
		client := clientOf(ctx)
		if name, d := s.takeAll(ctx, []limitCheck{
			{limitEmailUser, emailUserKey(p.UserID), s.limits.EmailChangePerUser},
			{limitEmailClient, emailClientKey(client), s.limits.EmailChangePerClient},
		}); !d.Allowed {
			s.refuse(ctx, refusal{action: actionEmailRateLimited, limit: name, client: client, user: p.UserID}, "email_change")
			return identityport.ProfileUpdated{}, errEmailChangeRateLimited.WithRetryAfter(d.RetryAfter)
		}
		u, err := s.users.Get(ctx, p.UserID)
		if err != nil {
			return identityport.ProfileUpdated{}, fmt.Errorf("update profile: %w", err)
		}
		if !newEmail.Equal(u.Email()) {
			if _, err := s.reauthenticate(ctx, p, u, cmd.CurrentPassword); err != nil {
				return identityport.ProfileUpdated{}, fmt.Errorf("update profile: %w", err)
			}
			l, err := s.newLink(u.ID(), identity.PurposeChangeEmail, *newEmail, p.SessionID, s.now())
			if err != nil {
				return identityport.ProfileUpdated{}, fmt.Errorf("update profile: %w", err)
			}
			pending = &l
		}
	}
	var out identityport.ProfileUpdated
	err := s.uow.Transaction(ctx, func(ctx context.Context) error {
		u, err := s.users.Update(ctx, p.UserID, func(u *identity.User) error {
			_, err := u.UpdateProfile(change, s.now())
			return err
		})
		if err != nil {
			return err
		}
		if ev := auditEvents(u.PullEvents(), nil); len(ev) > 0 {
			if err := s.audit.Record(ctx, ev...); err != nil {
				return fmt.Errorf("audit: %w", err)
			}
		}
		out = identityport.ProfileUpdated{User: view(u)}
		if pending != nil {
			if err := s.requestEmailChange(ctx, u, *pending); err != nil {
				return err
			}
			out.PendingEmail, out.PendingExpiresAt = pending.token.Email().String(), pending.token.ExpiresAt()
		}
		return nil
	})
	if err != nil {
		return identityport.ProfileUpdated{}, fmt.Errorf("update profile: %w", err)
	}
	return out, nil
}

// requestEmailChange stores l (a confirmation link for the new address),
// mails it there and tells the current address, inside the unit of work carried by ctx.
func (s *Service) requestEmailChange(ctx context.Context, u *identity.User, l link) error {
	if err := s.store(ctx, l); err != nil {
		return err
	}
	t := l.token
	name := u.Name().String()
	if _, err := s.mail.Enqueue(ctx, mailport.Mail{
		To: t.Email(),
		Data: mailport.EmailChangeConfirmation{
			Name: name, NewEmail: t.Email().String(), Token: l.secret, ExpiresAt: t.ExpiresAt(),
		},
		DiscardAfter: t.ExpiresAt(),
	}); err != nil {
		return fmt.Errorf("enqueue email change confirmation: %w", err)
	}
	if _, err := s.mail.Enqueue(ctx, mailport.Mail{
		To:   u.Email(),
		Data: mailport.EmailChangeNotice{Name: name, NewEmail: t.Email().String(), RequestedAt: t.CreatedAt()},
	}); err != nil {
		return fmt.Errorf("enqueue email change notice: %w", err)
	}
	if err := s.audit.Record(ctx, userEvent(actionEmailChangeRequested, u.ID(), nil, t.CreatedAt())); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}
