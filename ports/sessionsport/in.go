package sessionsport

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/sessions"
	"github.com/secuird/authy/domain/shared"
)

// AuthMethod is how a session's user authenticated: a method name
// ("password", "social:github", ...) and its RFC 8176 amr values. Other
// contexts name it through this port, never through the sessions domain.
type AuthMethod = sessions.AuthMethod

// MethodPassword is a sign-in with an email and a password (amr "pwd").
var MethodPassword = sessions.MethodPassword

// ParseAuthMethod checks and builds a method; see sessions.AuthMethod for
// the forms accepted. A malformed one is Invalid.
func ParseAuthMethod(name string, amr []string) (AuthMethod, error) {
	return sessions.ParseAuthMethod(name, amr)
}

// Principal is the caller behind a valid session token. Method and AuthTime
// say how and when the user authenticated for this session (re-
// authentication windows and ID tokens' amr and auth_time read them).
type Principal struct {
	UserID    shared.UserID
	SessionID uuid.UUID
	ExpiresAt time.Time
	Method    AuthMethod
	AuthTime  time.Time
}

// Authenticator resolves a bearer token to its principal, sliding the
// session's idle window. An unknown, expired or revoked token is an
// Unauthenticated error; a store that cannot answer is Unavailable.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (Principal, error)
}

// SessionView is what clients see of a session.
type SessionView struct {
	ID                uuid.UUID
	UserID            shared.UserID
	CreatedAt         time.Time
	LastSeenAt        time.Time
	ExpiresAt         time.Time
	AbsoluteExpiresAt time.Time
	IP                string
	UserAgent         string
	Current           bool
	// Method and AuthTime say how and when the user authenticated.
	Method   AuthMethod
	AuthTime time.Time
}

// IssuedSession is a new session with its bearer token, shown only once.
// EnrolmentDue names the organizations that require a second factor the
// user has not enrolled: the session starts all the same (the user's other
// organizations are open to it), and those organizations' routes stay
// refused (organizations.mfa_enrolment_required) until a factor is
// confirmed, so a sign-in asks the user to enrol.
type IssuedSession struct {
	Token        string
	Session      SessionView
	EnrolmentDue []EnrolmentDue
}

// Service is the sessions context's use-case API.
//
// Every method that changes sessions joins the transaction carried by ctx
// when there is one (so identity can revoke sessions in the same unit of
// work as a password change or an account deletion) and updates the cache
// only after that transaction commits. Revocation takes effect on every
// instance sharing the database and Redis as soon as the cache is purged,
// and at most two revocation polls after the commit when the revoking
// instance cannot reach the cache.
type Service interface {
	Authenticator
	// Start opens a session for a user whose credentials the caller has
	// verified with method (at the time of the call); IP and user agent
	// come from the RequestMeta in ctx. A zero method is Invalid. The
	// session names the organizations whose multi-factor policy the user
	// does not meet yet (see IssuedSession).
	Start(ctx context.Context, user shared.UserID, method AuthMethod) (IssuedSession, error)
	// List returns the user's active sessions, newest first, marking p's.
	List(ctx context.Context, p Principal) ([]SessionView, error)
	// Refresh slides p's idle window (never past the absolute limit).
	Refresh(ctx context.Context, p Principal) (SessionView, error)
	// Revoke ends one of p's user's sessions; another user's session or an
	// unknown id is NotFound ("sessions.not_found").
	Revoke(ctx context.Context, p Principal, id uuid.UUID) error
	// Logout ends p's own session.
	Logout(ctx context.Context, p Principal) error
	// RevokeAllOf ends every active session of user except keep (zero keeps
	// none) and returns how many ended; reason is recorded ("password_changed",
	// "account_deleted").
	RevokeAllOf(ctx context.Context, user shared.UserID, keep uuid.UUID, reason string) (int, error)
	// ExpireStale soft-marks up to batch sessions past their expiry as
	// EXPIRED and returns how many it marked (the cleanup job loops on it).
	ExpireStale(ctx context.Context, batch int) (int, error)
}

// ListQuery asks for one page of a user's active sessions. Cursor is the
// NextCursor of the previous page ("" for the first); Limit is at least 1.
type ListQuery struct {
	Cursor string
	Limit  int
}

// SessionPage is one page of active sessions, newest first. NextCursor is
// empty on the last page.
type SessionPage struct {
	Items      []SessionView
	NextCursor string
}

// Lister pages through a user's active sessions; it is what the HTTP list
// endpoint calls. A cursor that was not issued by a previous page is an
// Invalid error ("sessions.invalid_cursor").
type Lister interface {
	ListPage(ctx context.Context, p Principal, q ListQuery) (SessionPage, error)
}
