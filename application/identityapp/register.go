package identityapp

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/platformport"
)

var errRegisterRateLimited = shared.RateLimited("identity.register_rate_limited",
	"too many registrations from this address; retry later", 0)

// limitRegisterClient names the registration limit in refusal records.
const limitRegisterClient = "register_client"

// Register implements identityport.Service.
func (s *Service) Register(ctx context.Context, cmd identityport.RegisterCommand) (identityport.UserView, error) {
	v, err := s.register(ctx, cmd)
	if err != nil {
		s.meter.Add(platformport.MetricRegistrations, "failed", 1)
		return identityport.UserView{}, err
	}
	s.meter.Add(platformport.MetricRegistrations, "succeeded", 1)
	return v, nil
}

func (s *Service) register(ctx context.Context, cmd identityport.RegisterCommand) (identityport.UserView, error) {
	// Checked before anything is read: a refused registration costs no
	// database read and no audit write of its own (see refuse).
	client := clientOf(ctx)
	if d := s.take(ctx, registerIPKey(client), s.limits.RegisterPerIP); !d.Allowed {
		s.refuse(ctx, refusal{action: actionRegisterRateLimited, limit: limitRegisterClient, client: client}, "register")
		return identityport.UserView{}, errRegisterRateLimited.WithRetryAfter(d.RetryAfter)
	}
	f := shared.FieldErrors{}
	email, reason := identity.ParseEmail(cmd.Email)
	if reason != "" {
		f.Add("email", reason)
	}
	name, reason := identity.ParseName(cmd.Name)
	if reason != "" {
		f.Add("name", reason)
	}
	for _, r := range s.passwordReasons(cmd.Password, email) {
		f.Add("password", r)
	}
	if err := f.Err(identity.CodeInvalidInput); err != nil {
		return identityport.UserView{}, err
	}
	// A cheap look-up first spares a hash for the common duplicate; the
	// unique index still decides races.
	if _, err := s.users.FindByEmail(ctx, email); err == nil {
		return identityport.UserView{}, identity.ErrEmailTaken
	} else if !errors.Is(err, identity.ErrUserNotFound) {
		return identityport.UserView{}, fmt.Errorf("register: %w", err)
	}
	hash, err := s.hasher.Hash(ctx, cmd.Password)
	if err != nil {
		return identityport.UserView{}, fmt.Errorf("register: %w", err)
	}
	listeners, _ := s.hooks()
	id, now := s.newID(), s.now()
	verification, err := s.newLink(id, identity.PurposeVerifyEmail, email, uuid.Nil, now)
	if err != nil {
		return identityport.UserView{}, fmt.Errorf("register: %w", err)
	}
	var out identityport.UserView
	err = s.uow.Transaction(ctx, func(ctx context.Context) error {
		u, err := identity.NewUser(id, email, name, hash, now)
		if err != nil {
			return err
		}
		if err := s.users.Add(ctx, u); err != nil {
			return err
		}
		for _, l := range listeners {
			if err := l.UserRegistered(ctx, summary(u)); err != nil {
				return fmt.Errorf("registration listener: %w", err)
			}
		}
		if err := s.audit.Record(ctx, auditEvents(u.PullEvents(), nil)...); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		// The verification mail commits with the account or not at all.
		if err := s.sendVerification(ctx, u, verification, "registration"); err != nil {
			return err
		}
		out = view(u)
		return nil
	})
	if err != nil {
		return identityport.UserView{}, fmt.Errorf("register: %w", err)
	}
	return out, nil
}
