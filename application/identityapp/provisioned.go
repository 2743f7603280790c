package identityapp

import (
	"context"
	"fmt"

	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/platformport"
)

var _ identityport.ProvisionedAccounts = (*Service)(nil)

// actionRegisterProvisioned records an account opened by an organization's
// identity provider through SCIM.
const actionRegisterProvisioned = "auth.register.provisioned"

// CreateProvisionedUser implements identityport.ProvisionedAccounts.
func (s *Service) CreateProvisionedUser(ctx context.Context, cmd identityport.ExternalUserCommand) (identityport.UserSummary, error) {
	u, err := s.openExternalAccount(ctx, cmd, actionRegisterProvisioned)
	if err != nil {
		s.meter.Add(platformport.MetricRegistrations, "failed", 1)
		return identityport.UserSummary{}, err
	}
	s.meter.Add(platformport.MetricRegistrations, "succeeded", 1)
	return u, nil
}

// RefreshProvisionedName implements identityport.ProvisionedAccounts.
func (s *Service) RefreshProvisionedName(ctx context.Context, user shared.UserID, raw string) error {
	name, reason := identity.ParseName(raw)
	if reason != "" {
		return nil
	}
	return s.uow.Transaction(ctx, func(ctx context.Context) error {
		u, err := s.users.Update(ctx, user, func(u *identity.User) error {
			_, err := u.UpdateProfile(identity.ProfileChange{Name: &name}, s.now())
			return err
		})
		if err != nil {
			return fmt.Errorf("refresh the provisioned name: %w", err)
		}
		if ev := auditEvents(u.PullEvents(), nil); len(ev) > 0 {
			if err := s.audit.Record(ctx, ev...); err != nil {
				return fmt.Errorf("audit: %w", err)
			}
		}
		return nil
	})
}
