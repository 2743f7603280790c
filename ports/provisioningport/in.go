package provisioningport

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/provisioning"
	"github.com/secuird/authy/domain/shared"
)

// CreateTokenCommand creates a SCIM token of Organization (owners only).
type CreateTokenCommand struct {
	Actor        shared.UserID
	Organization shared.OrganizationID
	Name         string
}

// TokenView is a SCIM token as its organization's owners see it: never its
// value or digest.
type TokenView struct {
	ID           uuid.UUID
	Organization shared.OrganizationID
	Name         string
	CreatedBy    shared.UserID
	CreatedAt    time.Time
	LastUsedAt   time.Time
	RevokedAt    time.Time
}

// CreatedToken is a new token with its value, shown this once.
type CreatedToken struct {
	TokenView
	Token string
}

// Tokens is the admin API of an organization's SCIM tokens.
//
// Every method is for the organization's owners: an admin or a member gets
// Forbidden ("provisioning.owner_required"), anyone else the organization's
// NotFound. A token id of another organization is
// provisioning.ErrTokenNotFound. An organization holds at most
// provisioning.MaxLiveTokens live tokens (ErrTooManyTokens). Each change is
// audited in its transaction ("scim.token.created", "scim.token.revoked").
type Tokens interface {
	CreateToken(ctx context.Context, cmd CreateTokenCommand) (CreatedToken, error)
	// ListTokens lists every token of the organization, live and revoked,
	// oldest first (at most a few dozen: live ones are bounded).
	ListTokens(ctx context.Context, actor shared.UserID, org shared.OrganizationID) ([]TokenView, error)
	RevokeToken(ctx context.Context, actor shared.UserID, org shared.OrganizationID, id uuid.UUID) error
}

// Caller is an authenticated SCIM client: the token and its organization.
type Caller struct {
	Token        uuid.UUID
	Organization shared.OrganizationID
	// Owner is the token's creator, on whose authority it acts.
	Owner shared.UserID
}

// UserAttributes are the SCIM attributes of a User.
type UserAttributes = provisioning.Attributes

// UserEmail is one entry of a User's emails.
type UserEmail = provisioning.Email

// UserView is a SCIM User resource.
type UserView struct {
	ID         uuid.UUID
	Attributes UserAttributes
	Version    int
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// UserQuery selects Users of the caller's organization: by UserName or
// ExternalID (exact; userName compared as an address, case-insensitively),
// or all of them; Offset rows are skipped (startIndex - 1) and at most
// Limit returned (clamped to MaxListCount; 0 returns only the total).
type UserQuery struct {
	UserName   *string
	ExternalID *string
	Offset     int
	Limit      int
}

// MaxListCount bounds one page of a User list.
const MaxListCount = 200

// UserList is one page of Users, oldest first, with the number matching.
type UserList struct {
	Items []UserView
	Total int
}

// SCIM is what the /scim/v2 endpoints ask of provisioning.
//
// Authenticate resolves a bearer token for the organization named in the
// path: an unknown, revoked or other organization's token, one whose
// creator is no longer an owner of the organization, and a malformed
// organization id are all provisioning.ErrUnauthenticated (the path's
// organization is compared only after the token is known, so nothing tells
// whether it exists). Requests are rate-limited per token and per client
// (RateLimited "provisioning.rate_limited").
//
// CreateUser provisions a person: a new address gets an account without a
// password and a membership with role member; an existing account is added
// directly only when the organization has verified the address's domain
// and the account has verified the address, and is otherwise sent a
// pending invitation, which it accepts like any other. A User created
// inactive gets neither. ModifyUser runs apply on the current attributes
// inside the change's transaction (apply does no I/O) and stores the
// result: active going false removes the membership (and cancels a pending
// invitation), revokes every session and OAuth token of the account; going
// true provisions again. DeleteUser deprovisions like a deactivation and
// removes the resource; the account stays. Every change is audited in its
// transaction ("scim.user.*").
type SCIM interface {
	Authenticate(ctx context.Context, organization, token string) (Caller, error)
	CreateUser(ctx context.Context, c Caller, attrs UserAttributes) (UserView, error)
	GetUser(ctx context.Context, c Caller, id string) (UserView, error)
	ListUsers(ctx context.Context, c Caller, q UserQuery) (UserList, error)
	ModifyUser(ctx context.Context, c Caller, id string, apply func(UserAttributes) (UserAttributes, error)) (UserView, error)
	DeleteUser(ctx context.Context, c Caller, id string) error
}
