package organizationsapp

import (
	"context"

	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/ports/organizationsport"
)

// Update implements organizationsport.Service.
func (s *Service) Update(ctx context.Context, cmd organizationsport.UpdateCommand) (organizationsport.OrganizationView, error) {
	sum, err := s.readable(ctx, cmd.Actor, cmd.Organization)
	if err != nil {
		return organizationsport.OrganizationView{}, err
	}
	changes := organizations.Changes{Name: cmd.Name, RequireMFA: cmd.RequireMFA}
	if cmd.RequireMFA != nil && *cmd.RequireMFA && !sum.RequireMFA {
		if sum.Role != organizations.RoleOwner {
			return organizationsport.OrganizationView{}, organizations.ErrMFAPolicyOwnersOnly
		}
		// An owner turning the policy on must pass it, or they would lock
		// themselves out.
		has, err := s.hasFactor(ctx, cmd.Actor)
		if err != nil {
			return organizationsport.OrganizationView{}, err
		}
		if !has {
			return organizationsport.OrganizationView{}, organizations.ErrEnrolBeforeRequiring
		}
	}
	if cmd.Slug != nil {
		slug, err := organizations.ParseSlug(*cmd.Slug)
		if err != nil {
			return organizationsport.OrganizationView{}, err
		}
		changes.Slug = &slug
	}
	now := s.now()
	var view organizationsport.OrganizationView
	err = s.change(ctx, cmd.Organization, users(cmd.Actor), func(o *organizations.Organization) error {
		if _, err := o.Update(cmd.Actor, changes, now); err != nil {
			return err
		}
		view = viewOf(o, cmd.Actor)
		return nil
	})
	return view, err
}
