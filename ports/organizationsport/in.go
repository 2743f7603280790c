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

// Member statuses.
const (
	StatusActive  = "active"
	StatusPending = "pending"
)

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
}

// AddMemberCommand adds the user registered under Email with Role (empty
// means "member"). An email without an account gets a pending invitation
// that becomes a membership when that email registers.
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
}

// MemberView is one entry of a member list: an active membership (Status
// "active", UserID, Name and JoinedAt set) or a pending invitation (Status
// "pending", InvitationID and InvitedAt set, no account yet).
type MemberView struct {
	Status       string
	UserID       shared.UserID
	InvitationID uuid.UUID
	Email        string
	Name         string
	Role         string
	JoinedAt     time.Time
	InvitedAt    time.Time
}

// MemberPage is one page of members: active memberships first (oldest
// first), then pending invitations (oldest first). NextCursor is empty on
// the last page.
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
// The service also implements identity's hooks: UserRegistered turns
// pending invitations of the new email into memberships, and
// BeforeAccountDeletion refuses the deletion of the only owner of an
// organization with other members, deletes organizations where the user is
// alone and removes their other memberships. Both run inside identity's
// transaction (carried by ctx).
type Service interface {
	Access
	identityport.RegistrationListener
	identityport.DeletionGuard

	Create(ctx context.Context, cmd CreateCommand) (OrganizationView, error)
	Get(ctx context.Context, actor shared.UserID, org shared.OrganizationID) (OrganizationView, error)
	Update(ctx context.Context, cmd UpdateCommand) (OrganizationView, error)
	Delete(ctx context.Context, actor shared.UserID, org shared.OrganizationID) error
	ListMembers(ctx context.Context, actor shared.UserID, org shared.OrganizationID, page Page) (MemberPage, error)
	AddMember(ctx context.Context, cmd AddMemberCommand) (MemberView, error)
	RemoveMember(ctx context.Context, actor shared.UserID, org shared.OrganizationID, user shared.UserID) error
	ChangeRole(ctx context.Context, cmd ChangeRoleCommand) (MemberView, error)
	ListMine(ctx context.Context, actor shared.UserID, page Page) (OrganizationPage, error)
}
