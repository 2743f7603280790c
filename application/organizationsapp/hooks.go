package organizationsapp

import (
	"context"
	"fmt"

	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/organizationsport"
)

var (
	_ identityport.RegistrationListener = (*Service)(nil)
	_ identityport.DeletionGuard        = (*Service)(nil)
)

// UserRegistered implements identityport.RegistrationListener: every
// pending invitation of the new user's email becomes a membership, inside
// the registration's transaction (ctx carries it), so an error here aborts
// the registration instead of leaving invitations behind.
func (s *Service) UserRegistered(ctx context.Context, user identityport.UserSummary) error {
	email, err := organizations.NormalizeEmail(user.Email)
	if err != nil {
		return nil // an address without an invitation shape cannot match one
	}
	now := s.now()
	return s.uow.Do(ctx, func(ctx context.Context, r organizationsport.TxRepos) error {
		if err := r.Organizations.LockInvitee(ctx, email); err != nil {
			return err
		}
		ids, err := r.Organizations.InvitedOrganizations(ctx, email)
		if err != nil {
			return fmt.Errorf("find invitations: %w", err)
		}
		for _, id := range ids {
			if err := s.change(ctx, id, func(o *organizations.Organization) error {
				o.AcceptInvitation(user.ID, email, now)
				return nil
			}); err != nil {
				return fmt.Errorf("accept invitation to %s: %w", id, err)
			}
		}
		return nil
	})
}

// BeforeAccountDeletion implements identityport.DeletionGuard inside the
// deletion's transaction: it refuses (organizations.ErrSoleOwner) while the
// user is the only owner of an organization with other members, deletes
// organizations where they are the only member and ends their other
// memberships. Organizations are locked in id order so two deletions cannot
// deadlock.
func (s *Service) BeforeAccountDeletion(ctx context.Context, user shared.UserID) error {
	now := s.now()
	return s.uow.Do(ctx, func(ctx context.Context, r organizationsport.TxRepos) error {
		ids, err := r.Organizations.OrganizationsOf(ctx, user)
		if err != nil {
			return fmt.Errorf("find memberships: %w", err)
		}
		for _, id := range ids {
			if err := s.change(ctx, id, func(o *organizations.Organization) error {
				return o.RemoveDepartingAccount(user, now)
			}); err != nil {
				return err
			}
		}
		return nil
	})
}
