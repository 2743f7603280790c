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

// UpdateProfile implements identityport.Service.
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
