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

// DeleteAccount implements identityport.Service. A bearer token alone does
// not delete an account: the request carries the current password, or for
// an account without one p's session signed in within
// identityport.ReauthWindow. Attempts that check a password count against
// the password change limits. Then, in one unit of work: the
// DeletionGuard (organizations) may refuse or clean up, the user is
// soft-deleted without a password hash, every session ends, and the
// deletion is audited.
func (s *Service) DeleteAccount(ctx context.Context, p sessionsport.Principal, cmd identityport.DeleteAccountCommand) error {
	u, err := s.users.Get(ctx, p.UserID)
	if err != nil {
		return fmt.Errorf("delete account: %w", err)
	}
	if u.HasPassword() {
		// Only a request that checks a password spends the budget: a
		// missing one is refused first and guesses nothing.
		switch {
		case cmd.CurrentPassword == "":
			return errCurrentPasswordRequired
		case len(cmd.CurrentPassword) > maxLoginPasswordBytes:
			return errCurrentPasswordTooLong
		}
		client := clientOf(ctx)
		if name, d := s.takeAll(ctx, []limitCheck{
			{limitPasswordSession, passwordSessionKey(p.SessionID), s.limits.PasswordChangePerSession},
			{limitPasswordUserClient, passwordUserClientKey(p.UserID, client), s.limits.PasswordChangePerSession},
			{limitPasswordUser, passwordUserKey(p.UserID), s.limits.PasswordChangePerUser},
		}); !d.Allowed {
			s.refuse(ctx, refusal{action: actionPasswordRateLimited, limit: name, client: client, user: p.UserID}, "password")
			return errPasswordRateLimited.WithRetryAfter(d.RetryAfter)
		}
	}
	verified, err := s.reauthenticate(ctx, p, u, cmd.CurrentPassword)
	if err != nil {
		return fmt.Errorf("delete account: %w", err)
	}
	_, guard := s.hooks()
	err = s.uow.Transaction(ctx, func(ctx context.Context) error {
		if guard != nil {
			if err := guard.BeforeAccountDeletion(ctx, p.UserID); err != nil {
				return err
			}
		}
		u, err := s.users.Update(ctx, p.UserID, func(u *identity.User) error {
			// The password was verified against this hash; if another
			// request changed it meanwhile, that one won.
			if !u.PasswordHash().Equal(verified) {
				return identity.ErrPasswordChangedConcurrently
			}
			return u.Delete(s.now())
		})
		if err != nil {
			return err
		}
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
	return nil
}
