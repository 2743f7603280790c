package passkey

import (
	"bytes"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
)

// CeremonyTTL is how long a begun ceremony may be finished.
const CeremonyTTL = 5 * time.Minute

// MaxStateBytes bounds a ceremony's stored state.
const MaxStateBytes = 8 << 10

// Purpose is what a ceremony is for.
type Purpose struct{ v string }

// The purposes.
var (
	PurposeRegistration = Purpose{"registration"}
	PurposeLogin        = Purpose{"login"}
)

// ParsePurpose reads a stored purpose.
func ParsePurpose(s string) (Purpose, error) {
	switch s {
	case PurposeRegistration.v:
		return PurposeRegistration, nil
	case PurposeLogin.v:
		return PurposeLogin, nil
	}
	return Purpose{}, shared.Invalid(CodeInvalidInput, "unknown ceremony purpose", nil)
}

// String names the purpose.
func (p Purpose) String() string { return p.v }

// IsZero reports the zero purpose.
func (p Purpose) IsZero() bool { return p.v == "" }

// TokenHash is the SHA-256 of a ceremony token: only the digest is
// stored, so a database read does not hand out live ceremonies.
type TokenHash [32]byte

// Ceremony is a begun registration or sign-in: the relying party's state
// of it (challenge, expected user) kept server-side until it is finished
// once.
//
// Invariants: it has an id, a token digest, a purpose, state of at most
// MaxStateBytes and a client; a registration names its user, a sign-in
// none (the credential names it); it expires CeremonyTTL after it began.
type Ceremony struct {
	id        uuid.UUID
	hash      TokenHash
	purpose   Purpose
	user      shared.UserID
	client    string
	state     []byte
	createdAt time.Time
	expiresAt time.Time
}

// NewCeremony begins a ceremony at now.
func NewCeremony(id uuid.UUID, hash TokenHash, purpose Purpose, user shared.UserID, client string, state []byte, now time.Time) (*Ceremony, error) {
	switch {
	case id == uuid.Nil || hash == TokenHash{} || purpose.IsZero() || len(state) == 0 || len(state) > MaxStateBytes:
		return nil, shared.Invalid(CodeInvalidInput, "a ceremony needs an id, a token, a purpose and state", nil)
	case purpose == PurposeRegistration && user.IsZero():
		return nil, shared.Invalid(CodeInvalidInput, "a registration ceremony needs its user", nil)
	case purpose == PurposeLogin && !user.IsZero():
		return nil, shared.Invalid(CodeInvalidInput, "a sign-in ceremony names no user", nil)
	}
	return &Ceremony{
		id: id, hash: hash, purpose: purpose, user: user, client: client, state: bytes.Clone(state),
		createdAt: now, expiresAt: now.Add(CeremonyTTL),
	}, nil
}

// CeremonyState is a stored ceremony, for adapters rehydrating one.
type CeremonyState struct {
	ID        uuid.UUID
	Hash      TokenHash
	Purpose   Purpose
	User      shared.UserID
	Client    string
	State     []byte
	CreatedAt time.Time
	ExpiresAt time.Time
}

// RehydrateCeremony rebuilds a stored ceremony; adapters only.
func RehydrateCeremony(s CeremonyState) *Ceremony {
	return &Ceremony{
		id: s.ID, hash: s.Hash, purpose: s.Purpose, user: s.User, client: s.Client, state: s.State,
		createdAt: s.CreatedAt, expiresAt: s.ExpiresAt,
	}
}

// ID is the ceremony's id.
func (c *Ceremony) ID() uuid.UUID { return c.id }

// Hash is its token's digest.
func (c *Ceremony) Hash() TokenHash { return c.hash }

// Purpose is what it is for.
func (c *Ceremony) Purpose() Purpose { return c.purpose }

// User is the registering user (zero for a sign-in).
func (c *Ceremony) User() shared.UserID { return c.user }

// Client is the client that began it.
func (c *Ceremony) Client() string { return c.client }

// State is the relying party's state of it.
func (c *Ceremony) State() []byte { return bytes.Clone(c.state) }

// CreatedAt is when it began.
func (c *Ceremony) CreatedAt() time.Time { return c.createdAt }

// ExpiresAt is when it can no longer be finished.
func (c *Ceremony) ExpiresAt() time.Time { return c.expiresAt }

// Admit checks that the ceremony may be finished now for purpose by user
// (zero for a sign-in) from client: anything else is ErrCeremonyInvalid.
func (c *Ceremony) Admit(purpose Purpose, user shared.UserID, client string, now time.Time) error {
	if c.purpose != purpose || c.user != user || c.client != client || !now.Before(c.expiresAt) {
		return ErrCeremonyInvalid
	}
	return nil
}
