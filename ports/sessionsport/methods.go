package sessionsport

import (
	"context"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
)

// MethodRevoker ends the sessions a user signed in to with given methods:
// when an external identity is unlinked because it never vouched for the
// account's address, what was opened through it must close too.
//
// RevokeMethodsOf ends every active session of user whose method name is
// one of methods, except keep (zero keeps none), joins the transaction
// carried by ctx like Service's revocations, and returns how many ended;
// no methods end nothing. An unknown reason is Invalid.
type MethodRevoker interface {
	RevokeMethodsOf(ctx context.Context, user shared.UserID, methods []string, keep uuid.UUID, reason string) (int, error)
}
