package identityport

import (
	"context"
	"time"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/sessionsport"
)

// UserView is what a client sees of an account: never a hash.
type UserView struct {
	ID    shared.UserID
	Email string
	// EmailVerified tells whether Email was proven by a mailed link, and
	// EmailVerifiedAt when (zero while unverified).
	EmailVerified   bool
	EmailVerifiedAt time.Time
	Name            string
	CreatedAt       time.Time
	UpdatedAt       time.Time
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
// account it belongs to, or, for an account with a second factor, no
// session and the challenge to answer (MFA).
type LoginResult struct {
	Session sessionsport.IssuedSession
	User    UserView
	MFA     *LoginChallenge
}

// UpdateProfileCommand changes the profile; a nil field stays as it is.
// A new Email is not switched to at once: a confirmation link is mailed to
// it, and the change needs re-authentication (CurrentPassword, or for an
// account without a password a recent sign-in; see ReauthWindow).
type UpdateProfileCommand struct {
	Name            *string
	Email           *string
	CurrentPassword string
}

// ProfileUpdated is the profile after an update, with the email change it
// started, if any.
type ProfileUpdated struct {
	User UserView
	// PendingEmail is the address a confirmation link was mailed to (empty
	// when the email does not change); the account keeps User.Email until
	// the link is opened, before PendingExpiresAt.
	PendingEmail     string
	PendingExpiresAt time.Time
}

// DeleteAccountCommand re-authenticates an account deletion: the current
// password, or for an account without one a recent sign-in.
type DeleteAccountCommand struct {
	CurrentPassword string
}

// ReauthWindow is how recent the sign-in of a session must be to stand in
// for the password of an account without one.
const ReauthWindow = 5 * time.Minute

// VerifyEmailCommand presents the token of a mailed link: a verification
// link or an email change confirmation (both open /verify-email).
type VerifyEmailCommand struct {
	Token string
}

// EmailConfirmed reports a verified address.
type EmailConfirmed struct {
	UserID shared.UserID
	Email  string
	// Changed is true when the link confirmed an email change: the account
	// switched to Email and SessionsRevoked of its other sessions ended.
	Changed         bool
	SessionsRevoked int
	// Unlinked are the external identities removed because they never
	// vouched for the address this link proved; the sessions opened
	// through them are counted in SessionsRevoked.
	Unlinked []UnlinkedIdentity
}

// VerificationSent reports a verification link mailed to Email.
type VerificationSent struct {
	Email     string
	ExpiresAt time.Time
}

// ForgotPasswordCommand asks for a password reset link for Email.
type ForgotPasswordCommand struct {
	Email string
}

// ResetPasswordCommand sets a new password with a reset link's token.
type ResetPasswordCommand struct {
	Token       string
	NewPassword string
}

// PasswordReset reports a password set through a reset link.
type PasswordReset struct {
	// SessionsRevoked is how many sessions of the user ended (all of them).
	SessionsRevoked int
	// Unlinked are the external identities removed because they never
	// vouched for the address the reset link proved.
	Unlinked []UnlinkedIdentity
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
// password hasher answers ErrHasherBusy. A mailed link's token that was
// never issued, is used or has expired is identity.ErrTokenInvalid,
// ErrTokenUsed or ErrTokenExpired.
type Service interface {
	Directory
	// Register opens an account and tells every RegistrationListener, in
	// one transaction.
	Register(ctx context.Context, cmd RegisterCommand) (UserView, error)
	// Login verifies the credentials and starts a session.
	Login(ctx context.Context, cmd LoginCommand) (LoginResult, error)
	// Me returns the principal's account.
	Me(ctx context.Context, p sessionsport.Principal) (UserView, error)
	// UpdateProfile changes the principal's name at once and starts a
	// change of its email: a confirmation link goes to the new address and
	// a notice to the current one, whether or not the new address has an
	// account (the confirmation then fails with identity.ErrEmailTaken).
	UpdateProfile(ctx context.Context, p sessionsport.Principal, cmd UpdateProfileCommand) (ProfileUpdated, error)
	// ChangePassword replaces the principal's password and revokes every
	// other session of the user, keeping p's. An account without a
	// password is identity.ErrNoPassword (it uses the reset flow).
	ChangePassword(ctx context.Context, p sessionsport.Principal, cmd ChangePasswordCommand) (PasswordChanged, error)
	// DeleteAccount deletes the principal's account after re-authentication
	// (after the DeletionGuard agrees) and revokes all of its sessions.
	DeleteAccount(ctx context.Context, p sessionsport.Principal, cmd DeleteAccountCommand) error
	// VerifyEmail spends a verification or email change token: the first
	// verifies the account's email, the second switches the account to the
	// confirmed address (refused with identity.ErrEmailTaken when another
	// account has it by then), verifies it and ends every other session.
	VerifyEmail(ctx context.Context, cmd VerifyEmailCommand) (EmailConfirmed, error)
	// ResendVerification mails the principal a new verification link,
	// replacing the earlier ones; an already verified email is a Conflict
	// ("identity.email_already_verified").
	ResendVerification(ctx context.Context, p sessionsport.Principal) (VerificationSent, error)
	// ForgotPassword accepts a reset request for any address, known or not,
	// with the same answer and the same work; the link is mailed only when
	// a live account has the address.
	ForgotPassword(ctx context.Context, cmd ForgotPasswordCommand) error
	// ResetPassword sets the password with a reset token (the password
	// policy applies), verifies the email and revokes every session.
	ResetPassword(ctx context.Context, cmd ResetPasswordCommand) (PasswordReset, error)
}

// Operator is what operator commands (never HTTP clients) may do besides
// the use cases.
type Operator interface {
	// MarkEmailVerified records the user's current email as verified
	// without a mailed link, for accounts whose address an operator vouches
	// for (the seed command's demo accounts, whose mailboxes nobody reads).
	// A verified email stays as it is; an unknown or deleted user is
	// identity.ErrUserNotFound.
	MarkEmailVerified(ctx context.Context, user shared.UserID) error
}

// ExternalUserCommand opens an account for a person who signed in through
// an external identity provider (social or OpenID Connect sign-in): no
// password, the email verified only when the provider vouches for it.
// Provider names it in the audit record.
type ExternalUserCommand struct {
	Email         string
	EmailVerified bool
	Name          string
	Provider      string
}

// ExternalAccounts is what the federation context asks of identity.
//
// CreateExternalUser joins the unit of work carried by ctx (so the account,
// its linked identity and the first session commit together). It applies
// the registration limit of the caller's client (RateLimited
// "identity.register_rate_limited"), tells every RegistrationListener,
// refuses an email a live account has (identity.ErrEmailTaken), uses the
// email's local part as the name when none usable is given, and mails a
// verification link when the email is not verified. The record is
// "auth.register.external".
//
// HasPassword reports whether a live user has a password credential (an
// unknown or deleted user is identity.ErrUserNotFound).
type ExternalAccounts interface {
	CreateExternalUser(ctx context.Context, cmd ExternalUserCommand) (UserSummary, error)
	HasPassword(ctx context.Context, user shared.UserID) (bool, error)
}
