package identityapp

import (
	"context"
	"errors"
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

// RefreshProvisionedEmail implements identityport.ProvisionedAccounts.
func (s *Service) RefreshProvisionedEmail(ctx context.Context, cmd identityport.ProvisionedEmailCommand) (bool, error) {
	email, reason := identity.ParseEmail(cmd.Email)
	if reason != "" {
		return false, shared.Invalid(identity.CodeInvalidInput, "the request has invalid fields", map[string][]string{"email": {reason}})
	}
	changed := false
	err := s.uow.Transaction(ctx, func(ctx context.Context) error {
		changed = false
		// A look-up first answers the common case without a failed insert
		// (which would abort the caller's transaction on PostgreSQL); the
		// unique index still decides a race.
		other, err := s.users.FindByEmail(ctx, email)
		switch {
		case err == nil && other.ID() != cmd.User:
			return identity.ErrEmailTaken
		case err != nil && !errors.Is(err, identity.ErrUserNotFound):
			return fmt.Errorf("refresh the provisioned email: %w", err)
		}
		now := s.now()
		u, err := s.users.Update(ctx, cmd.User, func(u *identity.User) error { return u.ChangeEmail(email, now) })
		if err != nil {
			return fmt.Errorf("refresh the provisioned email: %w", err)
		}
		events := u.PullEvents()
		for _, e := range events {
			if _, ok := e.(identity.EmailChanged); ok {
				changed = true
			}
		}
		if changed {
			if _, err := s.tokens.Retire(ctx, u.ID(), now,
				identity.PurposeVerifyEmail, identity.PurposeChangeEmail, identity.PurposeResetPassword); err != nil {
				return fmt.Errorf("retire links: %w", err)
			}
		}
		if ev := auditEvents(events, cmd.Details); len(ev) > 0 {
			if err := s.audit.Record(ctx, ev...); err != nil {
				return fmt.Errorf("audit: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	return changed, nil
}
