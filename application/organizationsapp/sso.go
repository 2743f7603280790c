package organizationsapp

import (
	"context"

	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/organizationsport"
)

var _ organizationsport.SSOJoiner = (*Service)(nil)

// JoinThroughSSO implements organizationsport.SSOJoiner, in the unit of
// work ctx carries (or its own).
func (s *Service) JoinThroughSSO(ctx context.Context, org shared.OrganizationID, user shared.UserID, role string) error {
	r, err := provisionedRole(role)
	if err != nil {
		return err
	}
	now := s.now()
	return s.change(ctx, org, users(user), func(o *organizations.Organization) error {
		_, err := o.JoinThroughSSO(user, r, now)
		return err
	})
}
