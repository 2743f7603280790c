package organizationsapp

import (
	"context"
	"fmt"

	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
)

var _ identityport.DeletionGuard = (*Service)(nil)

// BeforeAccountDeletion implements identityport.DeletionGuard inside the
// deletion's transaction: it refuses (organizations.ErrSoleOwner) while the
// user is the only owner of an organization with other members, deletes
// organizations where they are the only member and ends their other
// memberships. Organizations are locked in id order so two deletions cannot
// deadlock.
func (s *Service) BeforeAccountDeletion(ctx context.Context, user shared.UserID) error {
	now := s.now()
	return s.uow.Transaction(ctx, func(ctx context.Context) error {
		ids, err := s.repo.OrganizationsOf(ctx, user)
		if err != nil {
			return fmt.Errorf("find memberships: %w", err)
		}
		for _, id := range ids {
			if err := s.change(ctx, id, users(user), func(o *organizations.Organization) error {
				return o.RemoveDepartingAccount(user, now)
			}); err != nil {
				return err
			}
		}
		return nil
	})
}
