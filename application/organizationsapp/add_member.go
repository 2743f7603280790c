package organizationsapp

import (
	"context"
	"fmt"

	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/organizationsport"
)

// AddMember implements organizationsport.Service.
func (s *Service) AddMember(ctx context.Context, cmd organizationsport.AddMemberCommand) (organizationsport.MemberView, error) {
	fe := shared.FieldErrors{}
	role := organizations.RoleMember
	if cmd.Role != "" {
		r, err := organizations.ParseRole(cmd.Role)
		if err != nil {
			fe.Add("role", "must be one of owner, admin, member")
		}
		role = r
	}
	email, err := organizations.NormalizeEmail(cmd.Email)
	if err != nil {
		fe.Add("email", "must be a valid email address")
	}
	if err := fe.Err(organizations.CodeInvalid); err != nil {
		return organizationsport.MemberView{}, err
	}

	now := s.now()
	var view organizationsport.MemberView
	err = s.uow.Do(ctx, func(ctx context.Context, r organizationsport.TxRepos) error {
		// Under the invitee lock, the lookup and the invitation cannot
		// straddle the registration of this email (which takes the same
		// lock before it turns invitations into memberships).
		if err := r.Organizations.LockInvitee(ctx, email); err != nil {
			return err
		}
		user, found, err := s.lookup(ctx, email)
		if err != nil {
			return err
		}
		return s.change(ctx, cmd.Organization, func(o *organizations.Organization) error {
			if found {
				m, err := o.AddMember(cmd.Actor, user.ID, role, now)
				if err != nil {
					return err
				}
				view = activeView(m, user)
				return nil
			}
			inv, err := o.Invite(cmd.Actor, s.newID(), email, role, now)
			if err != nil {
				return err
			}
			view = pendingView(inv)
			return nil
		})
	})
	return view, err
}

// lookup finds the live account registered under email.
func (s *Service) lookup(ctx context.Context, email string) (identityport.UserSummary, bool, error) {
	user, err := s.dir.FindByEmail(ctx, email)
	switch {
	case err == nil:
		return user, true, nil
	case shared.KindOf(err) == shared.KindNotFound:
		return identityport.UserSummary{}, false, nil
	default:
		return identityport.UserSummary{}, false, fmt.Errorf("look up user by email: %w", err)
	}
}

func activeView(m organizations.Membership, u identityport.UserSummary) organizationsport.MemberView {
	return organizationsport.MemberView{
		Status: organizationsport.StatusActive, UserID: m.User(), Email: u.Email, Name: u.Name,
		Role: m.Role().String(), JoinedAt: m.JoinedAt(),
	}
}

func pendingView(i organizations.Invitation) organizationsport.MemberView {
	return organizationsport.MemberView{
		Status: organizationsport.StatusPending, InvitationID: i.ID(), Email: i.Email(),
		Role: i.Role().String(), InvitedAt: i.CreatedAt(),
	}
}
