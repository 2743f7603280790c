package organizationsport

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
)

// Page bounds of the list use cases: a limit below 1 means DefaultPageLimit,
// one above MaxPageLimit is clamped to it.
const (
	DefaultPageLimit = 20
	MaxPageLimit     = 100
)

// MemberStatusActive is the status of every entry of a member list.
const MemberStatusActive = "active"

// Page asks for one page of a list: Cursor is empty for the first page, or
// the NextCursor of the previous page. A cursor that was not issued by the
// same list is a validation error (code "organizations.invalid_cursor").
type Page struct {
	Limit  int
	Cursor string
}

// CreateCommand creates an organization owned by Actor. Slug nil derives
// one from the name (with a short random suffix when the derived slug is
// taken); an explicit slug that is taken is a Conflict
// ("organizations.slug_taken").
type CreateCommand struct {
	Actor shared.UserID
	Name  string
	Slug  *string
}

// UpdateCommand changes an organization's name and/or slug; nil fields stay.
type UpdateCommand struct {
	Actor        shared.UserID
	Organization shared.OrganizationID
	Name         *string
	Slug         *string
	// RequireMFA turns the multi-factor policy on or off (owners only; an
	// owner without a second factor cannot turn it on).
	RequireMFA *bool
}

// AddMemberCommand invites Email to the organization with Role (empty
// means "member"). Every address gets a pending invitation, whether or not
// it has an account, and the same answer: nothing in it tells whether the
// address is registered. The person joins once they accept.
type AddMemberCommand struct {
	Actor        shared.UserID
	Organization shared.OrganizationID
	Email        string
	Role         string
}

// ChangeRoleCommand sets a member's role.
type ChangeRoleCommand struct {
	Actor        shared.UserID
	Organization shared.OrganizationID
	User         shared.UserID
	Role         string
}

// OrganizationView is an organization as one of its members sees it: Role
// and JoinedAt are the caller's.
type OrganizationView struct {
	ID        shared.OrganizationID
	Name      string
	Slug      string
	Role      string
	JoinedAt  time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
	// RequireMFA is the multi-factor policy.
	RequireMFA bool
}

// MemberView is one active membership of a member list.
type MemberView struct {
	Status   string
	UserID   shared.UserID
	Email    string
	Name     string
	Role     string
	JoinedAt time.Time
}

// InvitationView is an invitation as its organization's owners and admins,
// or its invitee, see it. Status is "pending" for every invitation a list
// or AddMember returns. OrganizationName is set in the invitee's list.
type InvitationView struct {
	ID               uuid.UUID
	OrganizationID   shared.OrganizationID
	OrganizationName string
	Email            string
	Role             string
	Status           string
	InvitedBy        shared.UserID
	InvitedAt        time.Time
	ExpiresAt        time.Time
}

// InvitationPage is one page of invitations, oldest first. NextCursor is
// empty on the last page.
type InvitationPage struct {
	Items      []InvitationView
	NextCursor string
}

// MemberPage is one page of active members, oldest membership first
// (pending invitations are listed by ListInvitations). NextCursor is empty
// on the last page.
type MemberPage struct {
	Items      []MemberView
	NextCursor string
}

// OrganizationPage is one page of the caller's organizations, in the order
// they joined them. NextCursor is empty on the last page.
type OrganizationPage struct {
	Items      []OrganizationView
	NextCursor string
}

// Service is the organizations context's use-case API.
//
// Every method that names an organization answers a caller who is not a
// member exactly like an organization that does not exist: NotFound
// ("organizations.not_found"). A member whose role does not allow the
// action gets Forbidden; the last-owner rule and duplicates are Conflicts.
// Every change is recorded in audit inside the same transaction.
//
// Invitations: AddMember invites (rate-limited per inviting user and per
// client: RateLimited "organizations.invitation_rate_limited" with a retry
// hint); owners and admins list and cancel them; the invitee lists theirs
// and accepts or declines one, by id or by the link token. An invitation
// becomes a membership only when the signed-in user whose email is the
// invited address accepts it. An invitation that is unknown, malformed or
// addressed to someone else is NotFound ("organizations.invitation_not_found");
// one already accepted, declined, cancelled or expired is a Conflict whose
// code names the state.
//
// The service also implements identity's DeletionGuard:
// BeforeAccountDeletion refuses the deletion of the only owner of an
// organization with other members, deletes organizations where the user is
// alone and removes their other memberships, inside identity's transaction
// (carried by ctx).
type Service interface {
	Access
	identityport.DeletionGuard

	Create(ctx context.Context, cmd CreateCommand) (OrganizationView, error)
	Get(ctx context.Context, actor shared.UserID, org shared.OrganizationID) (OrganizationView, error)
	Update(ctx context.Context, cmd UpdateCommand) (OrganizationView, error)
	Delete(ctx context.Context, actor shared.UserID, org shared.OrganizationID) error
	ListMembers(ctx context.Context, actor shared.UserID, org shared.OrganizationID, page Page) (MemberPage, error)
	AddMember(ctx context.Context, cmd AddMemberCommand) (InvitationView, error)
	RemoveMember(ctx context.Context, actor shared.UserID, org shared.OrganizationID, user shared.UserID) error
	ChangeRole(ctx context.Context, cmd ChangeRoleCommand) (MemberView, error)
	ListMine(ctx context.Context, actor shared.UserID, page Page) (OrganizationPage, error)

	// ListInvitations lists the organization's pending, unexpired
	// invitations (owners and admins; members get Forbidden).
	ListInvitations(ctx context.Context, actor shared.UserID, org shared.OrganizationID, page Page) (InvitationPage, error)
	// CancelInvitation withdraws a pending invitation (owners and admins;
	// an owner invitation only owners).
	CancelInvitation(ctx context.Context, actor shared.UserID, org shared.OrganizationID, invitation uuid.UUID) error
	// ListMyInvitations lists the pending, unexpired invitations of the
	// caller's email, each with its organization's name.
	ListMyInvitations(ctx context.Context, actor shared.UserID, page Page) (InvitationPage, error)
	// AcceptInvitation makes the caller a member through one of their
	// invitations and returns the organization as the new member sees it.
	AcceptInvitation(ctx context.Context, actor shared.UserID, invitation uuid.UUID) (OrganizationView, error)
	// AcceptInvitationByToken is AcceptInvitation through the link token
	// generated when the invitation was made, with the same email rule.
	AcceptInvitationByToken(ctx context.Context, actor shared.UserID, token string) (OrganizationView, error)
	// DeclineInvitation closes one of the caller's invitations.
	DeclineInvitation(ctx context.Context, actor shared.UserID, invitation uuid.UUID) error
}
