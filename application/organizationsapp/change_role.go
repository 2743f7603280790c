package organizationsapp

import (
	"context"
	"fmt"

	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/organizationsport"
)

// ChangeRole implements organizationsport.Service.
func (s *Service) ChangeRole(ctx context.Context, cmd organizationsport.ChangeRoleCommand) (organizationsport.MemberView, error) {
	if err := s.gate(ctx, cmd.Actor, cmd.Organization); err != nil {
		return organizationsport.MemberView{}, err
	}
	role, err := organizations.ParseRole(cmd.Role)
	if err != nil {
		return organizationsport.MemberView{}, err
	}
	now := s.now()
	var m organizations.Membership
	err = s.change(ctx, cmd.Organization, users(cmd.Actor, cmd.User), func(o *organizations.Organization) error {
		m, err = o.ChangeRole(cmd.Actor, cmd.User, role, now)
		return err
	})
	if err != nil {
		return organizationsport.MemberView{}, err
	}
	users, err := s.dir.GetMany(ctx, []shared.UserID{m.User()})
	if err != nil {
		return organizationsport.MemberView{}, fmt.Errorf("look up member: %w", err)
	}
	u, ok := users[m.User()]
	if !ok {
		u = identityport.UserSummary{ID: m.User()}
	}
	return activeView(m, u), nil
}
