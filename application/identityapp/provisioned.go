package identityapp

import (
	"context"

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
