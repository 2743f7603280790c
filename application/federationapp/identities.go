package federationapp

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/federation"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/federationport"
	"github.com/secuird/authy/ports/sessionsport"
)

// ListIdentities implements federationport.Service.
func (s *Service) ListIdentities(ctx context.Context, p sessionsport.Principal) ([]federationport.IdentityView, error) {
	list, err := s.identities.ListByUser(ctx, p.UserID, false)
	if err != nil {
		return nil, fmt.Errorf("list identities: %w", err)
	}
	out := make([]federationport.IdentityView, 0, len(list))
	for _, i := range list {
		out = append(out, view(i))
	}
	return out, nil
}

func view(i *federation.ExternalIdentity) federationport.IdentityView {
	return federationport.IdentityView{
		ID: i.ID(), Provider: i.Provider().String(), Subject: i.Subject(), Email: i.Email(), EmailVerified: i.EmailVerified(),
		Name: i.Name(), CreatedAt: i.CreatedAt(), LastSignInAt: i.LastSignInAt(),
	}
}

// Unlink implements federationport.Service. The user's identities are
// locked first, so two removals run one after the other and the second
// sees what the first left: a user without a password keeps at least one.
func (s *Service) Unlink(ctx context.Context, p sessionsport.Principal, id uuid.UUID) error {
	err := s.uow.Transaction(ctx, func(ctx context.Context) error {
		list, err := s.identities.ListByUser(ctx, p.UserID, true)
		if err != nil {
			return err
		}
		var target *federation.ExternalIdentity
		for _, i := range list {
			if i.ID() == id {
				target = i
			}
		}
		if target == nil {
			return federation.ErrIdentityNotFound
		}
		if len(list) == 1 {
			has, err := s.accounts.HasPassword(ctx, p.UserID)
			if err != nil {
				return err
			}
			if !has {
				return federation.ErrLastSignInMethod
			}
		}
		if err := s.identities.Delete(ctx, id); err != nil {
			return err
		}
		return s.audit.Record(ctx, userEvent(actionUnlinked, p.UserID.String(), map[string]any{
			"provider": target.Provider().String(), "identity_id": id.String(),
		}, s.now()))
	})
	if err != nil {
		return fmt.Errorf("unlink identity: %w", err)
	}
	return nil
}

// BeforeAccountDeletion implements identityport.DeletionGuard: a deleted
// account's identities are removed in its deletion's transaction, so the
// provider accounts are free to sign up again and open nothing meanwhile.
func (s *Service) BeforeAccountDeletion(ctx context.Context, user shared.UserID) error {
	if _, err := s.identities.DeleteAllOf(ctx, user); err != nil {
		return fmt.Errorf("delete identities: %w", err)
	}
	return nil
}

// CleanupBatch is how many expired flows or codes one cleanup statement
// removes.
const CleanupBatch = 500

// Cleanup removes the flows and login codes that expired, in batches, and
// returns how many it removed.
func (s *Service) Cleanup(ctx context.Context) (int, error) {
	total := 0
	for _, del := range []func(context.Context) (int, error){
		func(ctx context.Context) (int, error) { return s.flows.DeleteExpired(ctx, s.now(), CleanupBatch) },
		func(ctx context.Context) (int, error) { return s.codes.DeleteExpired(ctx, s.now(), CleanupBatch) },
	} {
		for {
			n, err := del(ctx)
			total += n
			if err != nil {
				return total, fmt.Errorf("federation cleanup: %w", err)
			}
			if n < CleanupBatch {
				break
			}
		}
	}
	return total, nil
}
