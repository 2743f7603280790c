package sessionsport

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
)

// Principal is the caller behind a valid bearer token.
type Principal struct {
	UserID    shared.UserID
	SessionID uuid.UUID
	ExpiresAt time.Time
}

// Authenticator resolves a bearer token to its principal, sliding the
// session's idle window. An unknown, expired or revoked token is an
// Unauthenticated error; a store that cannot answer is Unavailable.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (Principal, error)
}
