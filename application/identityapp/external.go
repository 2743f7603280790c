package identityapp

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/platformport"
)

var _ identityport.ExternalAccounts = (*Service)(nil)

// actionRegisterExternal records an account opened by a sign-in through an
// external identity provider.
const actionRegisterExternal = "auth.register.external"

// CreateExternalUser implements identityport.ExternalAccounts.
func (s *Service) CreateExternalUser(ctx context.Context, cmd identityport.ExternalUserCommand) (identityport.UserSummary, error) {
	u, err := s.createExternalUser(ctx, cmd)
	if err != nil {
		s.meter.Add(platformport.MetricRegistrations, "failed", 1)
		return identityport.UserSummary{}, err
	}
	s.meter.Add(platformport.MetricRegistrations, "succeeded", 1)
	return u, nil
}

func (s *Service) createExternalUser(ctx context.Context, cmd identityport.ExternalUserCommand) (identityport.UserSummary, error) {
	client := clientOf(ctx)
	if d := s.take(ctx, registerIPKey(client), s.limits.RegisterPerIP); !d.Allowed {
		s.refuse(ctx, refusal{action: actionRegisterRateLimited, limit: limitRegisterClient, client: client}, "register")
		return identityport.UserSummary{}, errRegisterRateLimited.WithRetryAfter(d.RetryAfter)
	}
	return s.openExternalAccount(ctx, cmd, actionRegisterExternal)
}

// openExternalAccount opens an account without a password for cmd,
// recorded as action.
func (s *Service) openExternalAccount(ctx context.Context, cmd identityport.ExternalUserCommand, action string) (identityport.UserSummary, error) {
	email, reason := identity.ParseEmail(cmd.Email)
	if reason != "" {
		return identityport.UserSummary{}, shared.Invalid(identity.CodeInvalidInput, "the provider's email address is not usable",
			map[string][]string{"email": {reason}})
	}
	name, reason := identity.ParseName(cmd.Name)
	if reason != "" {
		local, _, _ := strings.Cut(email.String(), "@")
		if name, reason = identity.ParseName(local); reason != "" {
			return identityport.UserSummary{}, shared.Invalid(identity.CodeInvalidInput, "no usable name", map[string][]string{"name": {reason}})
		}
	}
	listeners, _ := s.hooks()
	id, now := s.newID(), s.now()
	var verification link
	if !cmd.EmailVerified {
		var err error
		if verification, err = s.newLink(id, identity.PurposeVerifyEmail, email, uuid.Nil, now); err != nil {
			return identityport.UserSummary{}, fmt.Errorf("create external user: %w", err)
		}
	}
	var out identityport.UserSummary
	err := s.uow.Transaction(ctx, func(ctx context.Context) error {
		u, err := identity.NewUser(id, email, name, identity.PasswordHash{}, now)
		if err != nil {
			return err
		}
		if cmd.EmailVerified {
			if err := u.VerifyEmail(email, now); err != nil {
				return err
			}
		}
		if err := s.users.Add(ctx, u); err != nil {
			return err
		}
		for _, l := range listeners {
			if err := l.UserRegistered(ctx, summary(u)); err != nil {
				return fmt.Errorf("registration listener: %w", err)
			}
		}
		events := auditEvents(u.PullEvents(), nil)
		for i := range events {
			if events[i].Action == "auth.register" {
				events[i].Action = action
				events[i].Details = map[string]any{"provider": cmd.Provider, "email_verified": cmd.EmailVerified}
			}
		}
		if err := s.audit.Record(ctx, events...); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		if !cmd.EmailVerified {
			if err := s.sendVerification(ctx, u, verification, "registration"); err != nil {
				return err
			}
		}
		out = summary(u)
		return nil
	})
	if err != nil {
		return identityport.UserSummary{}, fmt.Errorf("create external user: %w", err)
	}
	return out, nil
}

// HasPassword implements identityport.ExternalAccounts.
func (s *Service) HasPassword(ctx context.Context, user shared.UserID) (bool, error) {
	u, err := s.users.Get(ctx, user)
	if err != nil {
		return false, fmt.Errorf("has password: %w", err)
	}
	return u.HasPassword(), nil
}
