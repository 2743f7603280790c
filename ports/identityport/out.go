package identityport

import (
	"context"
	"time"

	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
)

// ErrHasherBusy is returned by a PasswordHasher whose bounded queue is full
// or whose wait ran out: the server sheds load instead of piling up
// memory-hungry hashes.
var ErrHasherBusy = shared.Unavailable("identity.hasher_busy", "the server is busy; retry shortly")

// UserRepository stores User aggregates.
//
// Contract (checked by identityporttest on every backend):
//   - Get, FindByEmail and Update see only live users; an unknown or deleted
//     user is identity.ErrUserNotFound.
//   - FindByEmail compares the normalized email (trimmed, case-insensitive).
//   - Add and Update refuse an email another live user has with
//     identity.ErrEmailTaken, also when two callers race for it: exactly
//     one wins. A deleted user's email is free again.
//   - Update locks the user's row (FOR UPDATE on PostgreSQL), rehydrates it,
//     runs fn, saves and commits; an error from fn rolls back and leaves the
//     stored user unchanged. Concurrent Updates of one user run one after
//     the other, each seeing the previous one's result. fn must do no I/O.
//   - Profile returns the view of a live user (what Me shows); an unknown
//     or deleted user is identity.ErrUserNotFound. An implementation may
//     answer it from a cache (a decorator of the store), provided that a
//     change made through it is seen by every Profile once the change's
//     unit of work has committed and its after-commit work has run, and
//     that inside a unit of work Profile sees that unit's own changes.
//   - Every method joins the unit of work carried by ctx when there is one.
type UserRepository interface {
	Add(ctx context.Context, u *identity.User) error
	Get(ctx context.Context, id shared.UserID) (*identity.User, error)
	Profile(ctx context.Context, id shared.UserID) (UserView, error)
	FindByEmail(ctx context.Context, email identity.Email) (*identity.User, error)
	// GetMany returns the live users among ids, in no particular order.
	GetMany(ctx context.Context, ids []shared.UserID) ([]*identity.User, error)
	// Update returns the user as saved.
	Update(ctx context.Context, id shared.UserID, fn func(u *identity.User) error) (*identity.User, error)
}

// TokenRepository stores the single-use tokens of mailed links
// (identity.Token), by their hash.
//
// Contract (checked by identityporttest.RunTokenRepository on every
// backend):
//   - Add stores a new token; a second token with the same hash or id is
//     refused (an error, never a silent overwrite).
//   - Find returns the token with hash h as stored, used or not; an
//     unknown hash is identity.ErrTokenInvalid. It locks nothing.
//   - Use locks the token with hash h (FOR UPDATE on PostgreSQL), rehydrates
//     it, runs fn, saves what fn changed and returns the token as saved; an
//     error from fn rolls back and is returned unchanged. An unknown hash is
//     identity.ErrTokenInvalid and fn is not called. Concurrent Uses of one
//     token run one after the other, so of two callers spending it exactly
//     one sees it unused.
//   - Retire marks every unused token of user with one of purposes used at
//     now (a newer link replaced them, or what they would do is done) and
//     returns how many it marked; used tokens keep their time.
//   - Every method joins the unit of work carried by ctx when there is one.
type TokenRepository interface {
	Add(ctx context.Context, t *identity.Token) error
	Find(ctx context.Context, h identity.TokenHash) (*identity.Token, error)
	Use(ctx context.Context, h identity.TokenHash, fn func(t *identity.Token) error) (*identity.Token, error)
	Retire(ctx context.Context, user shared.UserID, now time.Time, purposes ...identity.TokenPurpose) (int, error)
}

// AccountTokens makes the secrets of mailed links: New returns a fresh
// token of 256 random bits (URL-safe text) and its hash; Hash returns the
// hash of a token a client sent back (SHA-256, so a stored hash never
// yields the link).
type AccountTokens interface {
	New() (string, identity.TokenHash, error)
	Hash(token string) identity.TokenHash
}

// PasswordHasher hashes and verifies passwords.
//
// Hash and Verify bound how many hashes run at once (each holds its whole
// memory cost); a caller that cannot get a slot within a bounded wait gets
// ErrHasherBusy, and one whose ctx ends gets ctx's error.
type PasswordHasher interface {
	// Hash returns a new hash of plain with the current parameters.
	Hash(ctx context.Context, plain string) (identity.PasswordHash, error)
	// Verify reports whether plain matches hash, and whether the hash should
	// be replaced by one with the current algorithm and parameters (a
	// legacy bcrypt hash, or weaker argon2id parameters). A hash in an
	// unknown format never matches.
	Verify(ctx context.Context, plain string, hash identity.PasswordHash) (match, rehash bool, err error)
	// VerifyDummy does the work of Verify against a hash that matches no
	// password, so an unknown email costs the same as a wrong password.
	VerifyDummy(ctx context.Context, plain string) error
}

// PasswordPolicy judges a password a user is choosing beyond the domain's
// length rule (identity.CheckNewPassword): the list of common passwords.
type PasswordPolicy interface {
	// Check returns the reasons plain is refused, nil when acceptable.
	Check(plain string) []string
}

// ProfileLookup is the outcome of a ProfileCache lookup.
type ProfileLookup int

// The lookup outcomes.
const (
	// ProfileMiss: nothing is cached; read the repository, then Fill.
	ProfileMiss ProfileLookup = iota
	// ProfileHit: the cached view is returned.
	ProfileHit
	// ProfileChanging: the user changed within the hold, or is changing;
	// read the repository and do not Fill.
	ProfileChanging
)

// ProfileCache holds the views of live users, shared by every instance that
// shares it (Redis) or in-process for the single embedded instance, so that
// reading one's own profile costs no repository read. The caching user
// repository (a decorator of the store) is its only caller: it reads
// through the cache and calls Invalidate once a change has committed.
//
// Contract (checked by identityporttest.RunProfileCache):
//   - Get reports ProfileChanging while an Invalidate of the user is held,
//     else ProfileHit with the view last stored by Fill, else ProfileMiss.
//     A cache that the session cache reads ahead for (sessionsport.ReadAhead)
//     may answer from the value read with the request's session.
//   - Fill stores v only when nothing is held for v.ID: no entry, and no
//     Invalidate within the hold. So a Fill made from a repository read
//     taken before a change committed can never store over the change once
//     the change has called Invalidate (after its commit), provided the
//     Fill comes within the hold. An entry lives for the adapter's TTL at
//     most.
//   - Invalidate removes the user's entry (and what was read ahead for it
//     in ctx) and refuses Fills of that user (Get answers ProfileChanging)
//     for the hold, which is the TTL; it is idempotent and a later
//     Invalidate restarts the hold.
//   - TTL reports how long an entry or a hold lasts.
//   - Every method returns an error when the cache does not answer; callers
//     then read the repository.
type ProfileCache interface {
	Get(ctx context.Context, id shared.UserID, now time.Time) (UserView, ProfileLookup, error)
	Fill(ctx context.Context, v UserView, now time.Time) error
	Invalidate(ctx context.Context, id shared.UserID, now time.Time) error
	TTL() time.Duration
}
