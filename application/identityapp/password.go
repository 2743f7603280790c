package identityapp

import (
	"context"
	"fmt"

	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/sessionsport"
)

var (
	errPasswordRateLimited = shared.RateLimited("identity.password_change_rate_limited",
		"too many password change attempts; retry later", 0)
	errWrongCurrentPassword = shared.Invalid("identity.wrong_password", "the current password is incorrect",
		map[string][]string{"current_password": {"is incorrect"}})
)

// Reason given to sessions when a password change ends the other sessions.
const revokeReasonPasswordChanged = "password_changed"

// Names of the password change limits in refusal records.
const (
	limitPasswordSession    = "password_session"
	limitPasswordUserClient = "password_user_client"
	limitPasswordUser       = "password_user"
)

// ChangePassword implements identityport.Service.
//
// A wrong current password is a 400 naming current_password (not a 401,
// which clients take for an expired session); an account without a
// password is identity.ErrNoPassword (409), pointing to the reset flow. Attempts are limited per
// session, per user and client, and per user across sessions (a higher
// ceiling), so a stolen session can guess the password only so often, and
// spending its budget does not stop the owner's other sessions on other
// clients from changing it.
func (s *Service) ChangePassword(ctx context.Context, p sessionsport.Principal, cmd identityport.ChangePasswordCommand) (identityport.PasswordChanged, error) {
	client := clientOf(ctx)
	if name, d := s.takeAll(ctx, []limitCheck{
		{limitPasswordSession, passwordSessionKey(p.SessionID), s.limits.PasswordChangePerSession},
		{limitPasswordUserClient, passwordUserClientKey(p.UserID, client), s.limits.PasswordChangePerSession},
		{limitPasswordUser, passwordUserKey(p.UserID), s.limits.PasswordChangePerUser},
	}); !d.Allowed {
		s.refuse(ctx, refusal{action: actionPasswordRateLimited, limit: name, client: client, user: p.UserID}, "password")
		return identityport.PasswordChanged{}, errPasswordRateLimited.WithRetryAfter(d.RetryAfter)
	}
	u, err := s.users.Get(ctx, p.UserID)
	if err != nil {
		return identityport.PasswordChanged{}, fmt.Errorf("change password: %w", err)
	}
	if !u.HasPassword() {
		// Nothing to verify the request against: the account sets a
		// password through the reset flow, which proves its mailbox.
		return identityport.PasswordChanged{}, identity.ErrNoPassword
	}
	f := shared.FieldErrors{}
	switch {
	case cmd.CurrentPassword == "":
		f.Add("current_password", "is required")
	case len(cmd.CurrentPassword) > maxLoginPasswordBytes:
		f.Add("current_password", "is too long")
	}
	for _, r := range s.passwordReasons(cmd.NewPassword, u.Email()) {
		f.Add("new_password", r)
	}
	if f.Empty() && cmd.NewPassword == cmd.CurrentPassword {
		f.Add("new_password", "must differ from the current password")
	}
	if err := f.Err(identity.CodeInvalidInput); err != nil {
		return identityport.PasswordChanged{}, err
	}
	if err := s.requireStepUp(ctx, p, true); err != nil {
		return identityport.PasswordChanged{}, err
	}
	verified := u.PasswordHash()
	match, _, err := s.hasher.Verify(ctx, cmd.CurrentPassword, verified)
	if err != nil {
		return identityport.PasswordChanged{}, fmt.Errorf("change password: %w", err)
	}
	if !match {
		return identityport.PasswordChanged{}, errWrongCurrentPassword
	}
	hash, err := s.hasher.Hash(ctx, cmd.NewPassword)
	if err != nil {
		return identityport.PasswordChanged{}, fmt.Errorf("change password: %w", err)
	}
	var out identityport.PasswordChanged
	err = s.uow.Transaction(ctx, func(ctx context.Context) error {
		u, err := s.users.Update(ctx, p.UserID, func(u *identity.User) error {
			// The current password was verified against this hash; if
			// another request changed it meanwhile, that one won.
			if !u.PasswordHash().Equal(verified) {
				return identity.ErrPasswordChangedConcurrently
			}
			return u.ChangePassword(hash, s.now())
		})
		if err != nil {
			return err
		}
		// A reset link mailed earlier would undo the change.
		if _, err := s.tokens.Retire(ctx, p.UserID, s.now(), identity.PurposeResetPassword); err != nil {
			return fmt.Errorf("retire reset links: %w", err)
		}
		n, err := s.sessions.RevokeAllOf(ctx, p.UserID, p.SessionID, revokeReasonPasswordChanged)
		if err != nil {
			return fmt.Errorf("revoke other sessions: %w", err)
		}
		if err := s.audit.Record(ctx, auditEvents(u.PullEvents(), map[string]any{"sessions_revoked": n})...); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		out = identityport.PasswordChanged{SessionsRevoked: n}
		return nil
	})
	if err != nil {
		return identityport.PasswordChanged{}, fmt.Errorf("change password: %w", err)
	}
	return out, nil
}
