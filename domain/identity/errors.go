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
	// ErrNoPassword is returned when a change needs the account's password
	// and it has none: it sets one through the password reset flow.
	ErrNoPassword = shared.Conflict("identity.no_password",
		"this account has no password; set one through the password reset flow (POST /api/v1/auth/password/forgot)")

	// The answers to a mailed link's token. They are distinct because the
	// holder of a token learns nothing from them about any other account:
	// tokens are 256 random bits (no one finds a valid one by trying), and
	// "used" or "expired" only tells the holder of a real link what became
	// of it, and that a new one is needed.

	// ErrTokenInvalid is returned for a token that was never issued (forged
	// or mistyped), one for another purpose, or one that no longer applies
	// (mailed to an address the account no longer has).
	ErrTokenInvalid = shared.BadRequest("identity.token_invalid", "the link is invalid; request a new one")
	// ErrTokenExpired is returned for a token used after its deadline.
	ErrTokenExpired = shared.BadRequest("identity.token_expired", "the link has expired; request a new one")
	// ErrTokenUsed is returned for a token used before, or replaced by a
	// newer link of the same kind.
	ErrTokenUsed = shared.BadRequest("identity.token_used", "the link was already used or replaced by a newer one")
	// ErrTokenExists is returned by a token store asked to add a second
	// token with the same id or hash.
	ErrTokenExists = shared.Conflict("identity.token_exists", "a token with this id or hash already exists")
)

// CodeInvalidInput is the code of validation errors built from FieldErrors.
const CodeInvalidInput = "identity.invalid_input"
