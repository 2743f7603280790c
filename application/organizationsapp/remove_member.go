package organizationsapp

import (
	"context"

	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
)

// RemoveMember implements organizationsport.Service.
func (s *Service) RemoveMember(ctx context.Context, actor shared.UserID, id shared.OrganizationID, user shared.UserID) error {
	// Leaving stays possible whatever the policy.
	if user != actor {
		if err := s.gate(ctx, actor, id); err != nil {
			return err
		}
	}
	now := s.now()
	return s.change(ctx, id, users(actor, user), func(o *organizations.Organization) error { return o.RemoveMember(actor, user, now) })
}
