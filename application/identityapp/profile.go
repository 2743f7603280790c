package identityapp

import (
	"context"
	"errors"
	"fmt"

	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/sessionsport"
)

var errEmailChangeRateLimited = shared.RateLimited("identity.email_change_rate_limited",
	"too many email changes; retry later", 0)

// Names of the email change limits in refusal records.
const (
	limitEmailUser   = "email_user"
	limitEmailClient = "email_client"
)

// UpdateProfile implements identityport.Service. Changing the email is
// limited per user and per client (EmailChangePerUser, EmailChangePerClient):
// each attempt tells whether an address has an account.
func (s *Service) UpdateProfile(ctx context.Context, p sessionsport.Principal, cmd identityport.UpdateProfileCommand) (identityport.UserView, error) {
	var change identity.ProfileChange
	f := shared.FieldErrors{}
	if cmd.Email != nil {
		e, reason := identity.ParseEmail(*cmd.Email)
		if reason != "" {
			f.Add("email", reason)
		}
		change.Email = &e
	}
	if cmd.Name != nil {
		n, reason := identity.ParseName(*cmd.Name)
		if reason != "" {
			f.Add("name", reason)
		}
		change.Name = &n
	}
	if err := f.Err(identity.CodeInvalidInput); err != nil {
		return identityport.UserView{}, err
	}
	if change.Email != nil {
		// Every email change tells whether the address is taken, so the
		// attempts are limited per user and per client before the look-up.
		client := clientOf(ctx)
		if name, d := s.takeAll(ctx, []limitCheck{
			{limitEmailUser, emailUserKey(p.UserID), s.limits.EmailChangePerUser},
			{limitEmailClient, emailClientKey(client), s.limits.EmailChangePerClient},
		}); !d.Allowed {
			s.refuse(ctx, refusal{action: actionEmailRateLimited, limit: name, client: client, user: p.UserID}, "email_change")
			return identityport.UserView{}, errEmailChangeRateLimited.WithRetryAfter(d.RetryAfter)
		}
		other, err := s.users.FindByEmail(ctx, *change.Email)
		switch {
		case err == nil && other.ID() != p.UserID:
			return identityport.UserView{}, identity.ErrEmailTaken
		case err != nil && !errors.Is(err, identity.ErrUserNotFound):
			return identityport.UserView{}, fmt.Errorf("update profile: %w", err)
		}
	}
	var out identityport.UserView
	err := s.uow.Do(ctx, func(ctx context.Context, r identityport.TxRepos) error {
		u, err := r.Users.Update(ctx, p.UserID, func(u *identity.User) error {
			_, err := u.UpdateProfile(change, s.now())
			return err
		})
		if err != nil {
			return err
		}
		s.holdProfile(ctx, p.UserID)
		if ev := auditEvents(u.PullEvents(), nil); len(ev) > 0 {
			if err := s.audit.Record(ctx, ev...); err != nil {
				return fmt.Errorf("audit: %w", err)
			}
		}
		out = view(u)
		return nil
	})
	if err != nil {
		return identityport.UserView{}, fmt.Errorf("update profile: %w", err)
	}
	s.holdProfile(context.WithoutCancel(ctx), p.UserID)
	return out, nil
}
