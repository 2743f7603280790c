package mfa

import (
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
)

// ChallengeTTL is how long a login challenge lasts.
const ChallengeTTL = 5 * time.Minute

// MaxChallengeFailures is how many wrong codes one challenge takes before
// it is spent: guessing needs a new password sign-in every few tries.
const MaxChallengeFailures = 5

// ChallengeHashSize is the length of a challenge digest (SHA-256).
const ChallengeHashSize = 32

// ChallengeHash is the digest of a challenge token: only the digest is
// stored.
type ChallengeHash struct{ b string }

// NewChallengeHash wraps a ChallengeHashSize-byte digest.
func NewChallengeHash(b []byte) (ChallengeHash, error) {
	if len(b) != ChallengeHashSize {
		return ChallengeHash{}, shared.Invalid(CodeInvalidInput, "a challenge hash has 32 bytes", nil)
	}
	return ChallengeHash{b: string(b)}, nil
}

// Bytes returns a copy of the digest.
func (h ChallengeHash) Bytes() []byte { return []byte(h.b) }

// IsZero reports the zero value.
func (h ChallengeHash) IsZero() bool { return h.b == "" }

// Challenge is the pending second step of one sign-in whose first factor
// passed.
//
// Invariants: it belongs to one user and one attempt: the first factor's
// method and the client that passed it; it is answered at most once
// (completed or not, a used challenge never completes again), only before
// it expires, only by the same client, and only while it has taken fewer
// than MaxChallengeFailures wrong codes.
type Challenge struct {
	id        uuid.UUID
	user      shared.UserID
	hash      ChallengeHash
	method    string
	amr       []string
	client    string
	createdAt time.Time
	expiresAt time.Time
	usedAt    time.Time
	failures  int
}

// NewChallenge opens a challenge for user after the first factor method
// (with its amr values) passed from client.
func NewChallenge(id uuid.UUID, user shared.UserID, hash ChallengeHash, method string, amr []string, client string, now time.Time) (*Challenge, error) {
	if id == uuid.Nil || user.IsZero() || hash.IsZero() || method == "" || len(amr) == 0 {
		return nil, shared.Invalid(CodeInvalidInput, "a challenge needs an id, a user, a hash and a method", nil)
	}
	return &Challenge{id: id, user: user, hash: hash, method: method, amr: append([]string(nil), amr...), client: client,
		createdAt: now, expiresAt: now.Add(ChallengeTTL)}, nil
}

// ChallengeState is a stored challenge, for RehydrateChallenge.
type ChallengeState struct {
	ID        uuid.UUID
	User      shared.UserID
	Hash      ChallengeHash
	Method    string
	AMR       []string
	Client    string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time
	Failures  int
}

// RehydrateChallenge rebuilds a stored challenge (adapters only).
func RehydrateChallenge(s ChallengeState) *Challenge {
	return &Challenge{id: s.ID, user: s.User, hash: s.Hash, method: s.Method, amr: append([]string(nil), s.AMR...), client: s.Client,
		createdAt: s.CreatedAt, expiresAt: s.ExpiresAt, usedAt: s.UsedAt, failures: s.Failures}
}

// ID identifies the challenge.
func (c *Challenge) ID() uuid.UUID { return c.id }

// User is the account signing in.
func (c *Challenge) User() shared.UserID { return c.user }

// Hash is the digest of its token.
func (c *Challenge) Hash() ChallengeHash { return c.hash }

// Method names the first factor that passed ("password").
func (c *Challenge) Method() string { return c.method }

// AMR are the first factor's amr values.
func (c *Challenge) AMR() []string { return append([]string(nil), c.amr...) }

// Client is the client key of the attempt.
func (c *Challenge) Client() string { return c.client }

// CreatedAt is when it was issued.
func (c *Challenge) CreatedAt() time.Time { return c.createdAt }

// ExpiresAt is when it stops being answerable.
func (c *Challenge) ExpiresAt() time.Time { return c.expiresAt }

// UsedAt is when it was completed or spent (zero while open).
func (c *Challenge) UsedAt() time.Time { return c.usedAt }

// Failures counts the wrong codes it took.
func (c *Challenge) Failures() int { return c.failures }

// Open checks that client may still answer it at now; anything else is
// ErrChallengeInvalid.
func (c *Challenge) Open(client string, now time.Time) error {
	if !c.usedAt.IsZero() || !now.Before(c.expiresAt) || c.client != client || c.failures >= MaxChallengeFailures {
		return ErrChallengeInvalid
	}
	return nil
}

// Fail counts a wrong code; the last allowed failure spends it.
func (c *Challenge) Fail(now time.Time) {
	c.failures++
	if c.failures >= MaxChallengeFailures {
		c.usedAt = now
	}
}

// Complete spends it after a valid code.
func (c *Challenge) Complete(client string, now time.Time) error {
	if err := c.Open(client, now); err != nil {
		return err
	}
	c.usedAt = now
	return nil
}
