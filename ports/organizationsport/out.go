package organizationsport

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
)

// MemberKey is the keyset position of a membership in its organization's
// member list, ordered by (JoinedAt, User).
type MemberKey struct {
	JoinedAt time.Time
	User     shared.UserID
}

// InvitationKey is the keyset position of a pending invitation, ordered by
// (CreatedAt, ID).
type InvitationKey struct {
	CreatedAt time.Time
	ID        uuid.UUID
}

// MembershipKey is the keyset position of an organization in a user's list,
// ordered by (JoinedAt, Organization).
type MembershipKey struct {
	JoinedAt     time.Time
	Organization shared.OrganizationID
}

// OrganizationSummary is a live organization with one user's membership in
// it (Role zero and JoinedAt zero when that user is not a member).
type OrganizationSummary struct {
	ID        shared.OrganizationID
	Name      string
	Slug      organizations.Slug
	CreatedAt time.Time
	UpdatedAt time.Time
	Role      organizations.Role
	JoinedAt  time.Time
}

// Repository stores Organization aggregates with their memberships and
// pending invitations.
//
// Contract (checked by organizationsporttest on every backend):
//   - a deleted or unknown organization is organizations.ErrNotFound for
//     Update and Find, and absent from every list;
//   - slugs are unique among live organizations, compared
//     case-insensitively: Create or Update that would duplicate one is
//     organizations.ErrSlugTaken; a deleted organization frees its slug;
//   - Update runs in a transaction (joining the one carried by ctx): it locks
//     the organization (FOR UPDATE on PostgreSQL), so concurrent changes of
//     one organization serialize and each closure sees the previous one's
//     result; an error from fn rolls everything back and is returned as is;
//     fn does no I/O, so a retry is safe;
//   - when fn deletes the organization, its memberships and invitations go
//     with it;
//   - lists are keyset-paginated: they return at most limit rows strictly
//     after the given key (nil = from the start), in the key's order.
type Repository interface {
	Create(ctx context.Context, org *organizations.Organization) error
	Update(ctx context.Context, id shared.OrganizationID, fn func(*organizations.Organization) error) error
	// Find returns the organization with viewer's membership.
	Find(ctx context.Context, id shared.OrganizationID, viewer shared.UserID) (OrganizationSummary, error)
	ListMembers(ctx context.Context, id shared.OrganizationID, after *MemberKey, limit int) ([]organizations.Membership, error)
	ListInvitations(ctx context.Context, id shared.OrganizationID, after *InvitationKey, limit int) ([]organizations.Invitation, error)
	// ListForUser returns the organizations user is a member of.
	ListForUser(ctx context.Context, user shared.UserID, after *MembershipKey, limit int) ([]OrganizationSummary, error)
	// InvitedOrganizations returns the ids of live organizations holding a
	// pending invitation for the normalized email, in id order.
	InvitedOrganizations(ctx context.Context, email string) ([]shared.OrganizationID, error)
	// OrganizationsOf returns the ids of live organizations user is a member
	// of, in id order (the order in which a caller should lock them).
	OrganizationsOf(ctx context.Context, user shared.UserID) ([]shared.OrganizationID, error)
	// LockInvitee serializes, until the unit of work carried by ctx ends,
	// every other unit of work that locks the same normalized email: adding
	// someone by email and the registration of that email take it, so an
	// invitation can never be stored for an account registered in between.
	// Outside a unit of work it is an error.
	LockInvitee(ctx context.Context, email string) error
}

// TxRepos are the repositories a unit of work hands to its closure.
type TxRepos struct {
	Organizations Repository
}

// UnitOfWork runs fn in one transaction (joining the one carried by ctx, if
// any): everything fn does through r and through ctx-aware ports (the audit
// Recorder) commits or rolls back together. An error from fn rolls back and
// is returned.
type UnitOfWork interface {
	Do(ctx context.Context, fn func(ctx context.Context, r TxRepos) error) error
}
