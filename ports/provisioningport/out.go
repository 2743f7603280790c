package provisioningport

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/provisioning"
	"github.com/secuird/authy/domain/shared"
)

// TokenRepository stores SCIM tokens.
//
// Contract (checked by provisioningporttest on every backend): Find and
// FindByHash return a token in any state, an unknown one is
// provisioning.ErrTokenNotFound; digests are unique; Update locks the row
// (FOR UPDATE on PostgreSQL) in the transaction ctx carries or one of its
// own, an error from fn rolls back; List returns an organization's tokens
// oldest first; CountLive counts its live ones; Touch records a use without
// a lock (last writer wins).
type TokenRepository interface {
	Add(ctx context.Context, t *provisioning.Token) error
	Find(ctx context.Context, id uuid.UUID) (*provisioning.Token, error)
	FindByHash(ctx context.Context, h provisioning.TokenHash) (*provisioning.Token, error)
	List(ctx context.Context, org shared.OrganizationID) ([]*provisioning.Token, error)
	CountLive(ctx context.Context, org shared.OrganizationID) (int, error)
	Update(ctx context.Context, id uuid.UUID, fn func(*provisioning.Token) error) error
	Touch(ctx context.Context, id uuid.UUID, at time.Time) error
}

// UserFilter selects Users of one organization (see UserQuery).
type UserFilter struct {
	UserName   *string
	ExternalID *string
	Offset     int
	Limit      int
}

// UserRepository stores SCIM User resources.
//
// Contract (checked by provisioningporttest on every backend): Get and
// Update find a User by organization and id only (another organization's
// id is provisioning.ErrUserNotFound); Add and Update refuse a userName
// (case-insensitively) or a non-empty externalId another User of the
// organization has (ErrUserNameTaken, ErrExternalIDTaken) and a second
// User of one account (ErrAccountTaken); Update locks the row in the
// transaction ctx carries or one of its own, an error from fn rolls back;
// List returns the matching page oldest first and the number of matches,
// costing one bounded range scan and a count; DeleteOfAccount removes an
// account's Users in every organization.
type UserRepository interface {
	Add(ctx context.Context, u *provisioning.User) error
	Get(ctx context.Context, org shared.OrganizationID, id uuid.UUID) (*provisioning.User, error)
	Update(ctx context.Context, org shared.OrganizationID, id uuid.UUID, fn func(*provisioning.User) error) (*provisioning.User, error)
	Delete(ctx context.Context, org shared.OrganizationID, id uuid.UUID) error
	List(ctx context.Context, org shared.OrganizationID, f UserFilter) ([]*provisioning.User, int, error)
	DeleteOfAccount(ctx context.Context, account shared.UserID) error
}

// TokenDigests makes SCIM tokens and their digests.
//
// Contract: New returns a token of 256 random bits in URL-safe base64 and
// its SHA-256; Hash is deterministic, so Hash(token) equals what New
// returned.
type TokenDigests interface {
	New() (string, provisioning.TokenHash, error)
	Hash(token string) provisioning.TokenHash
}

// VerifiedDomains answers whether an organization has proven it controls
// an email domain (the sso context's DNS verification, ssoport.
// DomainVerifier). DomainVerified is false for a domain no organization
// verified, and for one another organization verified.
type VerifiedDomains interface {
	DomainVerified(ctx context.Context, org shared.OrganizationID, domain string) (bool, error)
}

// UserTokenRevoker ends every OAuth grant issued to a user (access and
// refresh tokens) and returns how many tokens it ended, in the transaction
// ctx carries (the oauth context's oauthport.UserTokens).
type UserTokenRevoker interface {
	RevokeUserTokens(ctx context.Context, user shared.UserID) (int, error)
}

// SessionRevoker ends every session of a user (the sessions context's
// RevokeAllOf), in the transaction ctx carries.
type SessionRevoker interface {
	RevokeAllOf(ctx context.Context, user shared.UserID, keep uuid.UUID, reason string) (int, error)
}
