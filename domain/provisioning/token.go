package provisioning

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
)

// MaxLiveTokens bounds the tokens an organization holds at once.
const MaxLiveTokens = 10

// MaxTokenNameLength bounds a token's name (in characters).
const MaxTokenNameLength = 100

// TokenHashSize is the length of a token digest (SHA-256).
const TokenHashSize = 32

// TokenHash is the digest of a SCIM bearer token: only the digest is
// stored, so a database dump yields no usable token.
type TokenHash struct{ b string }

// NewTokenHash wraps a TokenHashSize-byte digest.
func NewTokenHash(b []byte) (TokenHash, error) {
	if len(b) != TokenHashSize {
		return TokenHash{}, shared.Invalid(CodeInvalidValue, "a SCIM token hash has 32 bytes", nil)
	}
	return TokenHash{b: string(b)}, nil
}

// Bytes returns a copy of the digest.
func (h TokenHash) Bytes() []byte { return []byte(h.b) }

// IsZero reports the zero value.
func (h TokenHash) IsZero() bool { return h.b == "" }

// Token is an organization's SCIM bearer credential.
//
// Invariants: it belongs to one organization and was created by one of its
// owners, on whose authority it acts (a token whose creator is no longer an
// owner authenticates nothing); name is 1 to MaxTokenNameLength printable
// characters; once revoked it stays revoked.
type Token struct {
	id           uuid.UUID
	organization shared.OrganizationID
	createdBy    shared.UserID
	name         string
	hash         TokenHash
	createdAt    time.Time
	lastUsedAt   time.Time
	revokedAt    time.Time
}

// NewToken makes a live token; its name is required (a label its owners
// recognise in the list), so a request without one mints no credential.
func NewToken(id uuid.UUID, org shared.OrganizationID, createdBy shared.UserID, name string, hash TokenHash, now time.Time) (*Token, error) {
	name, reason := cleanTokenName(name)
	if reason != "" {
		return nil, shared.Invalid(CodeInvalidValue, "the request has invalid fields", map[string][]string{"name": {reason}})
	}
	if id == uuid.Nil || org.IsZero() || createdBy.IsZero() || hash.IsZero() {
		return nil, shared.Invalid(CodeInvalidValue, "a token needs an id, an organization, a creator and a hash", nil)
	}
	return &Token{id: id, organization: org, createdBy: createdBy, name: name, hash: hash, createdAt: now}, nil
}

// TokenState is a stored token, for RehydrateToken.
type TokenState struct {
	ID           uuid.UUID
	Organization shared.OrganizationID
	CreatedBy    shared.UserID
	Name         string
	Hash         TokenHash
	CreatedAt    time.Time
	LastUsedAt   time.Time
	RevokedAt    time.Time
}

// RehydrateToken rebuilds a stored token (adapters only).
func RehydrateToken(s TokenState) *Token {
	return &Token{id: s.ID, organization: s.Organization, createdBy: s.CreatedBy, name: s.Name, hash: s.Hash,
		createdAt: s.CreatedAt, lastUsedAt: s.LastUsedAt, revokedAt: s.RevokedAt}
}

// ID identifies the token.
func (t *Token) ID() uuid.UUID { return t.id }

// Organization is the organization it provisions.
func (t *Token) Organization() shared.OrganizationID { return t.organization }

// CreatedBy is the owner who created it.
func (t *Token) CreatedBy() shared.UserID { return t.createdBy }

// Name is the owner's label for it.
func (t *Token) Name() string { return t.name }

// Hash is the digest of its value.
func (t *Token) Hash() TokenHash { return t.hash }

// CreatedAt is when it was created.
func (t *Token) CreatedAt() time.Time { return t.createdAt }

// LastUsedAt is when it last authenticated a request (zero: never).
func (t *Token) LastUsedAt() time.Time { return t.lastUsedAt }

// RevokedAt is when it was revoked (zero while live).
func (t *Token) RevokedAt() time.Time { return t.revokedAt }

// Live reports that it has not been revoked.
func (t *Token) Live() bool { return t.revokedAt.IsZero() }

// Revoke ends the token; a second revocation is ErrTokenRevoked.
func (t *Token) Revoke(now time.Time) error {
	if !t.Live() {
		return ErrTokenRevoked
	}
	t.revokedAt = now
	return nil
}

func cleanTokenName(s string) (string, string) {
	if strings.TrimSpace(s) == "" {
		return "", "is required"
	}
	if utf8.RuneCountInString(strings.TrimSpace(s)) > MaxTokenNameLength {
		return "", "must be at most 100 characters"
	}
	return cleanText(s)
}
