package identity

import "github.com/secuird/authy/domain/shared"

// Errors of the identity context. Their codes are public API.
var (
	// ErrEmailTaken is returned when another live account already has the
	// email (compared trimmed and case-insensitively).
	ErrEmailTaken = shared.Conflict("identity.email_taken", "an account with this email already exists")
	// ErrUserNotFound is returned for an unknown or deleted user.
	ErrUserNotFound = shared.NotFound("identity.user_not_found", "user not found")
	// ErrInvalidCredentials is the one answer to an unknown email and a wrong
	// password alike, so a caller cannot tell which accounts exist.
	ErrInvalidCredentials = shared.Unauthenticated("identity.invalid_credentials", "invalid email or password")
	// ErrPasswordChangedConcurrently is returned when the password changed
	// between its verification and the update that relied on it.
	ErrPasswordChangedConcurrently = shared.Conflict("identity.password_changed_concurrently",
		"the password was changed by another request; try again")
)

// CodeInvalidInput is the code of validation errors built from FieldErrors.
const CodeInvalidInput = "identity.invalid_input"
