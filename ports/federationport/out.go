package federationport

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/federation"
	"github.com/secuird/authy/domain/shared"
)

// AuthRequest is what an upstream provider's authorization URL carries:
// the state, the OpenID Connect nonce and the PKCE code verifier (the URL
// carries its S256 challenge).
type AuthRequest struct {
	State    string
	Nonce    string
	Verifier string
}

// ExchangeRequest is a callback's code with what the flow kept for it.
type ExchangeRequest struct {
	Code     string
	Nonce    string
	Verifier string
	// Session is the value AuthCodeURL returned for this flow.
	Session string
}

// Upstream is one configured provider.
//
// AuthCodeURL returns the URL to send the browser to (with the state, the
// nonce where the protocol has one, and the PKCE S256 challenge) and an
// opaque value to hand back to Exchange. Exchange trades the code (with
// the verifier) for the provider's tokens and returns the profile: an
// OpenID Connect provider's ID token is verified (signature, issuer,
// audience, expiry, nonce) or the error wraps federation.ErrTokenInvalid; a
// refusal by the provider wraps federation.ErrProviderError; a provider
// that cannot be reached wraps federation.ErrProviderUnavailable.
// Profile.EmailVerified is true only when the provider vouches for the
// address. Both honour ctx's deadline.
type Upstream interface {
	Name() federation.ProviderName
	DisplayName() string
	Kind() federation.ProviderKind
	AuthCodeURL(ctx context.Context, r AuthRequest) (url, session string, err error)
	Exchange(ctx context.Context, r ExchangeRequest) (federation.Profile, error)
}

// IdentityRepository stores ExternalIdentity aggregates.
//
// Contract (federationporttest.RunIdentityRepository on every backend):
//   - Add refuses a second identity with the same provider and subject
//     (federation.ErrIdentityTaken), also when two callers race: exactly
//     one wins.
//   - FindBySubject and Get return federation.ErrIdentityNotFound for
//     what is not stored.
//   - ListByUser returns the user's identities oldest first; with lock,
//     it locks them (FOR UPDATE on PostgreSQL) until the unit of work
//     ends, so two removals of one user's identities run one after the
//     other.
//   - Update locks the row, runs fn, saves; an error from fn rolls back and
//     leaves it unchanged.
//   - Delete removes one identity (ErrIdentityNotFound when absent);
//     DeleteAllOf removes every identity of a user and says how many.
//   - Every method joins the unit of work carried by ctx.
type IdentityRepository interface {
	Add(ctx context.Context, i *federation.ExternalIdentity) error
	Get(ctx context.Context, id uuid.UUID) (*federation.ExternalIdentity, error)
	FindBySubject(ctx context.Context, provider federation.ProviderName, subject string) (*federation.ExternalIdentity, error)
	ListByUser(ctx context.Context, user shared.UserID, lock bool) ([]*federation.ExternalIdentity, error)
	Update(ctx context.Context, id uuid.UUID, fn func(*federation.ExternalIdentity) error) (*federation.ExternalIdentity, error)
	Delete(ctx context.Context, id uuid.UUID) error
	DeleteAllOf(ctx context.Context, user shared.UserID) (int, error)
}

// FlowStore keeps started flows, shared by every instance.
//
// Contract (federationporttest.RunFlowStore): Put stores a flow under its
// state hash (a second flow with the same hash is an error); Take removes
// the flow with the hash and returns it, so of two callers exactly one gets
// it and the other federation.ErrStateInvalid (also for a hash never
// stored); DeleteExpired removes up to batch flows that expired before now
// and says how many; DeleteLinksTo removes every link flow to user (sign-in
// flows stay) and says how many, joining the unit of work in ctx.
type FlowStore interface {
	Put(ctx context.Context, f *federation.Flow) error
	Take(ctx context.Context, stateHash string) (*federation.Flow, error)
	DeleteExpired(ctx context.Context, now time.Time, batch int) (int, error)
	DeleteLinksTo(ctx context.Context, user shared.UserID) (int, error)
}

// LoginCodeStore keeps issued login codes by their hash, with the same
// contract as FlowStore (Take of an unknown or taken hash is
// federation.ErrLoginCodeInvalid). DeleteOf removes user's codes whose
// method is one of methods (no methods remove nothing) and says how many.
type LoginCodeStore interface {
	Put(ctx context.Context, c *federation.LoginCode) error
	Take(ctx context.Context, hash string) (*federation.LoginCode, error)
	DeleteExpired(ctx context.Context, now time.Time, batch int) (int, error)
	DeleteOf(ctx context.Context, user shared.UserID, methods []string) (int, error)
}
