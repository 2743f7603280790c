package identityapp

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/sessionsport"
)

// Reason given to sessions when an account deletion ends them.
const revokeReasonAccountDeleted = "account_deleted"

// DeleteAccount implements identityport.Service. In one unit of work: the
// DeletionGuard (organizations) may refuse or clean up, the user is
// soft-deleted without a password hash, every session ends, and the
// deletion is audited.
func (s *Service) DeleteAccount(ctx context.Context, p sessionsport.Principal) error {
	_, guard := s.hooks()
	err := s.uow.Do(ctx, func(ctx context.Context, r identityport.TxRepos) error {
		if guard != nil {
			if err := guard.BeforeAccountDeletion(ctx, p.UserID); err != nil {
				return err
			}
		}
		u, err := r.Users.Update(ctx, p.UserID, func(u *identity.User) error {
			return u.Delete(s.now())
		})
		if err != nil {
			return err
		}
		s.holdProfile(ctx, p.UserID)
		n, err := s.sessions.RevokeAllOf(ctx, p.UserID, uuid.Nil, revokeReasonAccountDeleted)
		if err != nil {
			return fmt.Errorf("revoke sessions: %w", err)
		}
		if err := s.audit.Record(ctx, auditEvents(u.PullEvents(), map[string]any{"sessions_revoked": n})...); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete account: %w", err)
	}
	s.holdProfile(context.WithoutCancel(ctx), p.UserID)
	return nil
}
