package sessionsport

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/sessions"
	"github.com/secuird/authy/domain/shared"
)

// PageQuery is a keyset page of ListActive: sessions created strictly before
// (BeforeCreatedAt, BeforeID) in (created_at DESC, id DESC) order, or from
// the newest when BeforeCreatedAt is zero.
type PageQuery struct {
	BeforeCreatedAt time.Time
	BeforeID        uuid.UUID
	Limit           int
}

// Purge asks the cache to forget a token hash and to refuse it until Until
// (the session's absolute expiry, after which nothing can authenticate it).
type Purge struct {
	Hash  sessions.TokenHash
	Until time.Time
}

// Store keeps sessions durably (PostgreSQL or SQLite in production).
//
// Contract (checked by sessionsporttest):
//   - Create inserts a new session; a second one with the same id or token
//     hash is sessions.ErrDuplicate.
//   - ByTokenHash and Get return a session in any status; an unknown one is
//     sessions.ErrNotFound.
//   - Update locks the session (FOR UPDATE on PostgreSQL), rehydrates it,
//     runs fn and saves it when fn returns nil; an error from fn leaves it
//     unchanged and is returned as is. Concurrent Updates of one session are
//     serialized, so of two conflicting changes exactly one wins.
//     UpdateActiveOf does the same for every session of a user stored as
//     active, in one call.
//   - Touch stores a session's idle clock only while it is stored as active
//     and reports whether it did; it never waits on the session's lock
//     longer than a concurrent Update holds it.
//   - ListActive returns a user's sessions stored as active with an expiry
//     after notExpiredBefore, newest first, one keyset page.
//   - ExpireBatch marks at most limit sessions stored as active with an
//     expiry at or before `before` as expired at now, and returns how many it
//     marked. Concurrent callers never mark a session twice and skip rows
//     another caller holds instead of waiting for them.
//   - AddPurges records purges the cache has still to apply (an outbox, in
//     the caller's transaction); PendingPurges lists up to limit of them,
//     DeletePurges forgets the applied ones (unknown hashes are ignored).
type Store interface {
	Create(ctx context.Context, s *sessions.Session) error
	Get(ctx context.Context, id uuid.UUID) (*sessions.Session, error)
	ByTokenHash(ctx context.Context, h sessions.TokenHash) (*sessions.Session, error)
	Update(ctx context.Context, id uuid.UUID, fn func(*sessions.Session) error) error
	UpdateActiveOf(ctx context.Context, user shared.UserID, fn func([]*sessions.Session) error) error
	Touch(ctx context.Context, id uuid.UUID, lastSeenAt, expiresAt time.Time) (bool, error)
	ListActive(ctx context.Context, user shared.UserID, notExpiredBefore time.Time, q PageQuery) ([]*sessions.Session, error)
	ExpireBatch(ctx context.Context, before, now time.Time, limit int) (int, error)
	AddPurges(ctx context.Context, ps []Purge) error
	PendingPurges(ctx context.Context, limit int) ([]Purge, error)
	DeletePurges(ctx context.Context, hs []sessions.TokenHash) error
}

// CachedSession is what authenticating a token needs, kept in the cache so
// that a valid request costs no database round trip. SyncedAt is when its
// idle clock (LastSeenAt, ExpiresAt) was last written to the Store. Method
// and AuthTime are how and when the user authenticated.
type CachedSession struct {
	ID                uuid.UUID
	User              shared.UserID
	Hash              sessions.TokenHash
	Method            sessions.AuthMethod
	AuthTime          time.Time
	CreatedAt         time.Time
	LastSeenAt        time.Time
	ExpiresAt         time.Time
	AbsoluteExpiresAt time.Time
	SyncedAt          time.Time
}

// CacheState is the outcome of a cache lookup.
type CacheState int

// The lookup outcomes.
const (
	// CacheMiss: nothing is known; ask the Store.
	CacheMiss CacheState = iota
	// CacheHit: the entry is returned.
	CacheHit
	// CacheRevoked: a purge tombstone exists; the token must be refused
	// without asking the Store.
	CacheRevoked
	// CacheUnknown: the Store recently found no usable session for the
	// hash (MarkUnknown); the token is refused without asking it again.
	CacheUnknown
)

// Cache holds CachedSessions by token hash, shared by every instance that
// shares it (Redis), or in-process for the single embedded instance.
//
// Contract (checked by sessionsporttest):
//   - Get reports CacheRevoked whenever a tombstone for the hash exists,
//     even if an entry was Put after the Purge (a request that read the
//     Store before a revocation committed must not resurrect the session);
//     else CacheHit with the entry, else CacheMiss. Get checks entry and
//     tombstone in one round trip. A cache other contexts' caches share may
//     read their keys for the entry's user in that same round trip into the
//     ReadAhead of ctx; it records them only for a hit whose user they are.
//   - GetMany returns the entries among hs that are present and have no
//     tombstone.
//   - Put stores e, replacing any entry for e.Hash; the entry may be dropped
//     once e.ExpiresAt has passed at now. Puts of expired entries are no-ops.
//   - Purge removes the entries of ps and leaves a tombstone for each until
//     its Until; it is idempotent.
//   - MarkUnknown remembers that h names no usable session: Get reports
//     CacheUnknown for it (CacheRevoked when a tombstone exists too). It
//     never replaces an entry already stored for h, and a later Put
//     replaces it, so a marker can never hide a session that is cached —
//     a session's first Put (right after its creation commits) always
//     wins. The marker may be dropped once until has passed at now (the
//     caller keeps it to seconds); an until not after now is a no-op.
//     GetMany ignores markers.
//   - Ping reports whether the cache answers.
//   - Every method returns an error when the cache does not answer; callers
//     then fall back to the Store.
type Cache interface {
	Get(ctx context.Context, h sessions.TokenHash) (CachedSession, CacheState, error)
	GetMany(ctx context.Context, hs []sessions.TokenHash) (map[sessions.TokenHash]CachedSession, error)
	Put(ctx context.Context, e CachedSession, now time.Time) error
	Purge(ctx context.Context, ps []Purge, now time.Time) error
	MarkUnknown(ctx context.Context, h sessions.TokenHash, until, now time.Time) error
	Ping(ctx context.Context) error
}

// Tokens makes and hashes bearer tokens.
//
// Contract: New returns a token of at least 256 random bits in URL-safe
// base64 and its hash; Hash is deterministic, so Hash(token) equals the hash
// New returned. No store ever sees a token, only its hash.
type Tokens interface {
	New() (token string, hash sessions.TokenHash, err error)
	Hash(token string) sessions.TokenHash
}

// EnrolmentDue is an organization whose multi-factor policy a signing-in
// user does not meet yet: it requires a second factor of its members and
// the user has none.
type EnrolmentDue struct {
	Organization shared.OrganizationID
	Name         string
}

// EnrolmentPolicy names the organizations a new session's user still owes
// a second factor (the organizations context implements it), oldest
// membership first, none for a user with a confirmed factor; an
// organization whose policy the session's method meets on its own (a
// sign-in through its connection that vouches for its identity provider's
// MFA) is left out. It joins the transaction carried by ctx, where the
// sign-in starts the session.
type EnrolmentPolicy interface {
	EnrolmentDue(ctx context.Context, user shared.UserID, method AuthMethod) ([]EnrolmentDue, error)
}
