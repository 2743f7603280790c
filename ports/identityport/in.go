package identityport

import (
	"context"
	"time"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/sessionsport"
)

// UserView is what a client sees of an account: never a hash.
type UserView struct {
	ID        shared.UserID
	Email     string
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// RegisterCommand opens an account.
type RegisterCommand struct {
	Email    string
	Password string
	Name     string
}

// LoginCommand asks for a session with an email and a password.
type LoginCommand struct {
	Email    string
	Password string
}

// LoginResult is a new session with its bearer token (shown once) and the
// account it belongs to.
type LoginResult struct {
	Session sessionsport.IssuedSession
	User    UserView
}

// UpdateProfileCommand changes the profile; a nil field stays as it is.
type UpdateProfileCommand struct {
	Name  *string
	Email *string
}

// ChangePasswordCommand replaces the password after checking the current
// one.
type ChangePasswordCommand struct {
	CurrentPassword string
	NewPassword     string
}

// PasswordChanged reports a password change.
type PasswordChanged struct {
	// SessionsRevoked is how many other sessions of the user ended.
	SessionsRevoked int
}

// Service is the identity context's use-case API.
//
// Errors are shared.Error kinds with stable codes: validation problems are
// Invalid with per-field details (code "identity.invalid_input"); a taken
// email is identity.ErrEmailTaken; an unknown email and a wrong password are
// the same identity.ErrInvalidCredentials and cost the same work; a caller
// over a rate limit gets RateLimited with a retry delay; a saturated
// password hasher answers ErrHasherBusy.
type Service interface {
	Directory
	// Register opens an account and tells every RegistrationListener, in
	// one transaction.
	Register(ctx context.Context, cmd RegisterCommand) (UserView, error)
	// Login verifies the credentials and starts a session.
	Login(ctx context.Context, cmd LoginCommand) (LoginResult, error)
	// Me returns the principal's account.
	Me(ctx context.Context, p sessionsport.Principal) (UserView, error)
	// UpdateProfile changes the principal's name and/or email.
	UpdateProfile(ctx context.Context, p sessionsport.Principal, cmd UpdateProfileCommand) (UserView, error)
	// ChangePassword replaces the principal's password and revokes every
	// other session of the user, keeping p's.
	ChangePassword(ctx context.Context, p sessionsport.Principal, cmd ChangePasswordCommand) (PasswordChanged, error)
	// DeleteAccount deletes the principal's account (after the
	// DeletionGuard agrees) and revokes all of its sessions.
	DeleteAccount(ctx context.Context, p sessionsport.Principal) error
}
