package organizationsport

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/sessionsport"
)

// MemberKey is the keyset position of a membership in its organization's
// member list, ordered by (JoinedAt, User).
type MemberKey struct {
	JoinedAt time.Time
	User     shared.UserID
}

// InvitationKey is the keyset position of an invitation, ordered by
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
	// RequireMFA is the multi-factor policy.
	RequireMFA bool
}

// FactorEnrolment answers whether a user has a confirmed second factor
// (the mfa context's mfaport.Enrolment), for the multi-factor policy.
type FactorEnrolment interface {
	HasFactor(ctx context.Context, user shared.UserID) (bool, error)
}

// FederatedMFA answers whether a session started through one of an
// organization's SSO connections counts as multi-factor for that
// organization (the sso context implements it), for the multi-factor
// policy.
//
// VouchesMFA reports whether method is a sign-in through an enabled
// connection of org that says its identity provider enforces MFA, made
// while it said so (amr "mfa"); a connection of another organization, a
// deleted or unknown one and any other method are false, not an error.
type FederatedMFA interface {
	VouchesMFA(ctx context.Context, org shared.OrganizationID, method sessionsport.AuthMethod) (bool, error)
}

// InvitationRecord is one stored invitation, in any status, with the live
// organization it belongs to.
type InvitationRecord struct {
	Organization     shared.OrganizationID
	OrganizationName string
	Invitation       organizations.Invitation
}

// Scope names what of an organization a change reads besides its own
// fields and its owner and member counts, which every Update loads. What
// it names is loaded by key, so a change costs the same however many
// members and invitations the organization has.
type Scope struct {
	// Users whose memberships are loaded (found or not: a user who is not a
	// member is loaded as such). The zero id is ignored.
	Users []shared.UserID
	// Invitations are ids whose pending invitation is loaded, each with its
	// sender's membership (accepting one asks whether the sender may still
	// grant its role).
	Invitations []uuid.UUID
	// Emails are normalized addresses whose pending invitation is loaded.
	Emails []string
	// DueBy, when not zero, also loads up to DueLimit pending invitations
	// whose expiry is at or before it, soonest expiry first, so a change can
	// close a bounded batch of expired ones on its way.
	DueBy    time.Time
	DueLimit int
}

// Repository stores Organization aggregates with their memberships and
// invitations.
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
//   - Update hands fn the organization loaded in part
//     (organizations.RehydrateOrganizationPart): its fields, its owner and
//     member counts, and what scope names; it reads and writes a number of
//     rows bounded by the scope, never by the organization's size, and
//     writes back only what fn changed. The counts always equal the stored
//     memberships, whoever wrote them;
//   - Update loads only pending invitations; an invitation the closure
//     closed (Organization.ClosedInvitations) keeps its row with its final
//     status, closing time and closer, and never loads again; at most one
//     invitation per organization and email is pending (a second one is
//     organizations.ErrAlreadyInvited), while closed ones do not count;
//   - when fn deletes the organization, its memberships and invitations go
//     with it;
//   - FindInvitation and FindInvitationByToken return an invitation of a
//     live organization in any status; an unknown one is
//     organizations.ErrInvitationNotFound;
//   - lists are keyset-paginated: they return at most limit rows strictly
//     after the given key (nil = from the start), in the key's order;
//     invitation lists hold only pending invitations whose expiry is after
//     now.
type Repository interface {
	Create(ctx context.Context, org *organizations.Organization) error
	Update(ctx context.Context, id shared.OrganizationID, scope Scope, fn func(*organizations.Organization) error) error
	// Find returns the organization with viewer's membership.
	Find(ctx context.Context, id shared.OrganizationID, viewer shared.UserID) (OrganizationSummary, error)
	ListMembers(ctx context.Context, id shared.OrganizationID, after *MemberKey, limit int) ([]organizations.Membership, error)
	// ListInvitations returns the organization's open invitations.
	ListInvitations(ctx context.Context, id shared.OrganizationID, now time.Time, after *InvitationKey, limit int) ([]organizations.Invitation, error)
	// ListInvitationsFor returns the open invitations of the normalized
	// email across live organizations.
	ListInvitationsFor(ctx context.Context, email string, now time.Time, after *InvitationKey, limit int) ([]InvitationRecord, error)
	FindInvitation(ctx context.Context, id uuid.UUID) (InvitationRecord, error)
	FindInvitationByToken(ctx context.Context, hash organizations.TokenHash) (InvitationRecord, error)
	// ListForUser returns the organizations user is a member of.
	ListForUser(ctx context.Context, user shared.UserID, after *MembershipKey, limit int) ([]OrganizationSummary, error)
	// OrganizationsOf returns the ids of live organizations user is a member
	// of, in id order (the order in which a caller should lock them).
	OrganizationsOf(ctx context.Context, user shared.UserID) ([]shared.OrganizationID, error)
}

// InvitationTokens makes and hashes invitation link tokens.
//
// Contract: New returns a token of at least 256 random bits in URL-safe
// base64 and its SHA-256 digest; Hash is deterministic, so Hash(token)
// equals the hash New returned. Stores only ever see the digest.
type InvitationTokens interface {
	New() (token string, hash organizations.TokenHash, err error)
	Hash(token string) organizations.TokenHash
}

// InvitationNotice is what the invitee is told about a new invitation. It
// carries the link token in clear: the only place it ever appears.
type InvitationNotice struct {
	Invitation       uuid.UUID
	Organization     shared.OrganizationID
	OrganizationName string
	Email            string
	Role             string
	InvitedBy        shared.UserID
	ExpiresAt        time.Time
	Token            string
}

// InvitationNotifier tells an invitee about a new invitation (the mail
// with the accept link).
//
// Contract: InvitationSent runs inside the unit of work that stores the
// invitation (ctx carries it), so an error rolls the invitation back; it
// does no network I/O there (it writes an outbox row, or registers an
// after-commit hook), and it never logs the token.
type InvitationNotifier interface {
	InvitationSent(ctx context.Context, n InvitationNotice) error
}
