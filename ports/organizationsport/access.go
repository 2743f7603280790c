package organizationsport

import (
	"context"

	"github.com/secuird/authy/domain/shared"
)

// Access answers other contexts' question "what is this user's role here?".
//
// MemberRole returns "owner", "admin" or "member". When the organization
// does not exist (or is deleted) or the user is not a member, it returns the
// same NotFound error (code "organizations.not_found"), so callers leak
// nothing to non-members.
type Access interface {
	MemberRole(ctx context.Context, org shared.OrganizationID, user shared.UserID) (string, error)
}
