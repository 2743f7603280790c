package organizationsapp

import (
	"context"

	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/ports/organizationsport"
)

var _ organizationsport.Provisioner = (*Service)(nil)

// AddProvisionedMember implements organizationsport.Provisioner: the
// aggregate's AddMember, which applies the grant rules to the actor.
func (s *Service) AddProvisionedMember(ctx context.Context, cmd organizationsport.ProvisionCommand) error {
	role, err := provisionedRole(cmd.Role)
	if err != nil {
		return err
	}
	now := s.now()
	return s.change(ctx, cmd.Organization, users(cmd.Actor, cmd.User), func(o *organizations.Organization) error {
		_, err := o.AddMember(cmd.Actor, cmd.User, role, now)
		return err
	})
}

// InviteProvisioned implements organizationsport.Provisioner: AddMember's
// invitation without its limits.
func (s *Service) InviteProvisioned(ctx context.Context, cmd organizationsport.ProvisionCommand) (organizationsport.InvitationView, error) {
	role, err := provisionedRole(cmd.Role)
	if err != nil {
		return organizationsport.InvitationView{}, err
	}
	email, err := organizations.NormalizeEmail(cmd.Email)
	if err != nil {
		return organizationsport.InvitationView{}, err
	}
	return s.invite(ctx, cmd.Actor, cmd.Organization, email, role)
}

func provisionedRole(s string) (organizations.Role, error) {
	if s == "" {
		return organizations.RoleMember, nil
	}
	return organizations.ParseRole(s)
}
