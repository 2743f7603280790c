package organizationsapp

import (
	"context"

	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
)

// Delete implements organizationsport.Service.
func (s *Service) Delete(ctx context.Context, actor shared.UserID, id shared.OrganizationID) error {
	if err := s.gate(ctx, actor, id); err != nil {
		return err
	}
	now := s.now()
	return s.change(ctx, id, users(actor), func(o *organizations.Organization) error { return o.Delete(actor, now) })
}
