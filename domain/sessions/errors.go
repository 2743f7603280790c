package sessions

import "github.com/secuird/authy/domain/shared"

// Stable error codes of the sessions context.
const (
	CodeNotFound     = "sessions.not_found"
	CodeInvalidToken = "auth.invalid_token"
	CodeEnded        = "sessions.ended"
	CodeNotExpired   = "sessions.not_expired"
	CodeInvalid      = "sessions.invalid"
	CodeDuplicate    = "sessions.duplicate"
)

var (
	// ErrNotFound is an unknown session, or one the caller may not see.
	ErrNotFound = shared.NotFound(CodeNotFound, "session not found")
	// ErrInvalidToken answers every token that does not open an active
	// session: unknown, expired, revoked and logged-out tokens look alike.
	ErrInvalidToken = shared.Unauthenticated(CodeInvalidToken, "the session is invalid or has ended")
	// ErrEnded is a verb applied to a session that is no longer active.
	ErrEnded = shared.Conflict(CodeEnded, "the session has ended")
	// ErrNotExpired is Expire called before the session's expiry.
	ErrNotExpired = shared.Conflict(CodeNotExpired, "the session has not expired")
	// ErrDuplicate is a second session with the same id or token hash.
	ErrDuplicate = shared.Conflict(CodeDuplicate, "the session already exists")
)
