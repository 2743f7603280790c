package federationport

import (
	"context"

	"github.com/secuird/authy/domain/shared"
)

// LoginCodeIssuer issues the one-time login codes a single-page app
// redeems at POST /api/v1/auth/external/exchange, for sign-ins that end on
// another origin outside this context (an organization's SSO connection).
//
// IssueLoginCode stores a code for user whose exchange starts a session
// with method and amr (sessionsport.ParseAuthMethod's forms; an invalid
// one is Invalid), joining the unit of work ctx carries, and returns it
// in the clear (only its hash is kept). It expires like every login code.
type LoginCodeIssuer interface {
	IssueLoginCode(ctx context.Context, user shared.UserID, method string, amr []string) (string, error)
}
