package organizationsapp

import (
	"context"

	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
)

// RemoveMember implements organizationsport.Service.
func (s *Service) RemoveMember(ctx context.Context, actor shared.UserID, id shared.OrganizationID, user shared.UserID) error {
	return s.removeMember(ctx, actor, id, user, interactive)
}

// RemoveProvisionedMember implements organizationsport.Provisioner.
func (s *Service) RemoveProvisionedMember(ctx context.Context, actor shared.UserID, id shared.OrganizationID, user shared.UserID) error {
	return s.removeMember(ctx, actor, id, user, credential)
}

func (s *Service) removeMember(ctx context.Context, actor shared.UserID, id shared.OrganizationID, user shared.UserID, by access) error {
	// Leaving stays possible whatever the policy.
	if user != actor {
		if err := s.gateBy(ctx, actor, id, by); err != nil {
			return err
		}
	}
	now := s.now()
	return s.change(ctx, id, users(actor, user), func(o *organizations.Organization) error { return o.RemoveMember(actor, user, now) })
}
