package oauthport

import (
	"context"
	"time"

	"github.com/secuird/authy/domain/oauth"
	"github.com/secuird/authy/domain/shared"
)

// ClientKey is the keyset position of a client in its organization's list,
// ordered by (CreatedAt, ID).
type ClientKey struct {
	CreatedAt time.Time
	ID        string
}

// ClientRepository stores Client aggregates.
//
// Contract (checked by oauthporttest.ClientRepositoryContract on every
// backend):
//   - Get and Update see only stored clients; an unknown id is
//     oauth.ErrClientNotFound;
//   - client ids are unique: Create with a taken id is oauth.ErrClientIDTaken,
//     also when two callers race for it (exactly one wins);
//   - Update runs in a transaction (joining the one ctx carries), locks the
//     client (FOR UPDATE on PostgreSQL) so concurrent changes serialize,
//     rehydrates, runs fn, saves; an error from fn rolls back and is
//     returned as is; fn does no I/O;
//   - when fn deletes the client, it is removed with every token issued to
//     it (TokenStore rows whose client is its id);
//   - List returns at most limit clients of org strictly after the key (nil:
//     from the start), ordered by (CreatedAt, ID).
type ClientRepository interface {
	Create(ctx context.Context, c *oauth.Client) error
	Get(ctx context.Context, id oauth.ClientID) (*oauth.Client, error)
	Update(ctx context.Context, id oauth.ClientID, fn func(*oauth.Client) error) error
	List(ctx context.Context, org shared.OrganizationID, after *ClientKey, limit int) ([]*oauth.Client, error)
}

// StoredKey is a provider key as stored: its lifecycle and its private
// material sealed by the ENCRYPTION_KEY keyring, with associated data
// naming its id ("oauth-key:<id>"), so no sealed key can pass for another.
type StoredKey struct {
	Key    oauth.Key
	Sealed string
}

// KeyRepository stores the provider's keys.
//
// Contract (checked by oauthporttest.KeyRepositoryContract): Add refuses a
// second key of one kind and generation with oauth.ErrKeyExists (of two
// instances racing to create it, exactly one wins) and a taken id too; List
// returns every key; Reseal replaces the sealed material of one key
// (unknown: ErrKeyNotFound); Delete removes the keys with the given ids,
// ignoring unknown ones.
type KeyRepository interface {
	List(ctx context.Context) ([]StoredKey, error)
	Add(ctx context.Context, k StoredKey) error
	Reseal(ctx context.Context, id, sealed string) error
	Delete(ctx context.Context, ids []string) error
}

// ErrKeyNotFound is a key id the store does not hold.
var ErrKeyNotFound = shared.NotFound("oauth.key_not_found", "no such key")

// TokenJanitor deletes expired token rows.
//
// Contract (checked by oauthporttest.TokenStoreContract): DeleteExpired
// removes at most limit rows (of any kind) whose expiry is before before
// and returns how many; rows still valid at before are kept, whether active
// or not (a used code or a rotated refresh token is kept inactive until it
// expires, so its replay is recognised).
//
// The token rows themselves are written through the protocol library's
// storage interfaces, which the same adapter implements.
type TokenJanitor interface {
	DeleteExpired(ctx context.Context, before time.Time, limit int) (int, error)
}

// SecretHasher hashes secrets set by hand, which may be guessable, with a
// slow hash (argon2id). Verify reports whether plain matches hash; a hash
// in another format never matches. Implementations bound concurrent
// hashing like the password hasher does.
type SecretHasher interface {
	Hash(ctx context.Context, plain string) (string, error)
	Verify(ctx context.Context, plain, hash string) (bool, error)
}

// Consent is what a user allowed a client: Scopes, in the order first
// granted.
type Consent struct {
	User      shared.UserID
	ClientID  string
	Scopes    []string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ConsentRepository remembers consents per user and client.
//
// Contract (checked by oauthporttest.ConsentRepositoryContract): Get of a
// pair never granted is ErrConsentNotFound; Grant adds scopes to the
// pair's consent (creating it; scopes already there are kept once, and
// two concurrent grants both land); List returns a user's consents by
// client id; Delete removes one and reports whether it existed; a deleted
// client or user takes its consents with it.
type ConsentRepository interface {
	Get(ctx context.Context, user shared.UserID, clientID string) (Consent, error)
	Grant(ctx context.Context, user shared.UserID, clientID string, scopes []string, at time.Time) error
	List(ctx context.Context, user shared.UserID) ([]Consent, error)
	Delete(ctx context.Context, user shared.UserID, clientID string) (bool, error)
}

// ErrConsentNotFound is a user and client without a consent.
var ErrConsentNotFound = shared.NotFound("oauth.consent_not_found", "no consent for this client")

// ParkedRequest is an authorization request parked while its browser signs
// in or decides on consent: the request's query, kept by the SHA-256 of a
// random handle (HandleHash) and bound to the browser by the SHA-256 of a
// cookie value (BindingHash). Subject, when set, is the only user who may
// finish it. ParkedAt is when the request first arrived: prompt=login and
// max_age are measured from it.
type ParkedRequest struct {
	HandleHash  string
	BindingHash string
	ClientID    string
	Query       string
	Subject     shared.UserID
	ParkedAt    time.Time
	ExpiresAt   time.Time
}

// AuthorizeRequestStore keeps parked authorization requests where every
// instance finds them.
//
// Contract (checked by oauthporttest.AuthorizeRequestStoreContract): Park
// stores a request; Peek reads one without spending it; Take reads and
// removes it in one step, so of two concurrent takes exactly one gets it.
// Peek and Take answer ErrParkedRequestNotFound for an unknown handle, a
// different binding, or a request expired at now (an expired one is
// removed by DeleteExpired, at most limit per call).
type AuthorizeRequestStore interface {
	Park(ctx context.Context, r ParkedRequest) error
	Peek(ctx context.Context, handleHash, bindingHash string, now time.Time) (ParkedRequest, error)
	Take(ctx context.Context, handleHash, bindingHash string, now time.Time) (ParkedRequest, error)
	DeleteExpired(ctx context.Context, before time.Time, limit int) (int, error)
}

// ErrParkedRequestNotFound is a parked request that is unknown, spent,
// expired or parked by another browser.
var ErrParkedRequestNotFound = shared.NotFound("oauth.authorize_request_not_found",
	"the authorization request is unknown, was already used or has expired")

// GrantRevoker ends every grant a client holds for a subject: its refresh
// tokens become inactive, its access tokens and unused codes go. It joins
// the transaction ctx carries.
type GrantRevoker interface {
	RevokeSubjectGrants(ctx context.Context, clientID, subject string) error
}

// UserProfile is what ID tokens and userinfo say of a user.
type UserProfile struct {
	ID            shared.UserID
	Email         string
	EmailVerified bool
	Name          string
}

// UserOrganization is one of a user's organizations with their role.
type UserOrganization struct {
	ID   shared.OrganizationID
	Name string
	Role string
}

// UserDirectory reads the users the provider speaks of (through the
// identity and organizations contexts' ports). Profile of an unknown or
// deleted user is a NotFound.
type UserDirectory interface {
	Profile(ctx context.Context, user shared.UserID) (UserProfile, error)
	Organizations(ctx context.Context, user shared.UserID) ([]UserOrganization, error)
}
