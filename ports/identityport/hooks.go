package identityport

import (
	"context"

	"github.com/secuird/authy/domain/shared"
)

// UserSummary is what other contexts may know about a user.
type UserSummary struct {
	ID    shared.UserID
	Email string
	Name  string
	// EmailVerified tells whether the user proved it owns Email: only then
	// may another context treat the address as the user's (accepting an
	// invitation sent to it, linking an external identity by it).
	EmailVerified bool
}

// Directory lets other contexts look users up through identity's inbound
// port instead of its tables.
//
// FindByEmail compares emails trimmed and case-insensitively and returns a
// NotFound error (code "identity.user_not_found") when no live user has it.
// GetMany returns the live users among ids; missing ids are simply absent.
type Directory interface {
	FindByEmail(ctx context.Context, email string) (UserSummary, error)
	GetMany(ctx context.Context, ids []shared.UserID) (map[shared.UserID]UserSummary, error)
}

// RegistrationListener reacts to a new account inside the registration's
// transaction (ctx carries it): an error aborts the registration. No
// context listens today: organizations no longer turns invitations into
// memberships at registration (an invitation is accepted by its invitee).
type RegistrationListener interface {
	UserRegistered(ctx context.Context, user UserSummary) error
}

// DeletionGuard is consulted inside the account deletion's transaction
// before the user is removed: an error (a Conflict when the user is the sole
// owner of an organization that has other members) aborts the deletion; a
// nil error means the guard has also cleaned up what it owns (organizations
// where the user is the only member).
type DeletionGuard interface {
	BeforeAccountDeletion(ctx context.Context, user shared.UserID) error
}
