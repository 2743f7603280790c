package oauthport

import (
	"context"
	"time"

	"github.com/secuird/authy/domain/oauth"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/platformport"
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

// UnitOfWork is the shared transaction shape (platformport.UnitOfWork).
type UnitOfWork = platformport.UnitOfWork
