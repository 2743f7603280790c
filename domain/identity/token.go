package identity

import (
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
)

// TokenPurpose is what a mailed link's token may do. The set is closed:
// ParseTokenPurpose accepts only the values below.
type TokenPurpose struct{ value string }

// The token purposes, with their lifetimes (TTL).
var (
	// PurposeVerifyEmail proves the account owns its email (24 hours).
	PurposeVerifyEmail = TokenPurpose{"verify_email"}
	// PurposeChangeEmail confirms a new address and switches the account
	// to it (24 hours).
	PurposeChangeEmail = TokenPurpose{"change_email"}
	// PurposeResetPassword sets a new password (30 minutes: it grants the
	// account to whoever reads the mail).
	PurposeResetPassword = TokenPurpose{"reset_password"}
)

// Token lifetimes.
const (
	VerifyEmailTokenTTL   = 24 * time.Hour
	ChangeEmailTokenTTL   = 24 * time.Hour
	ResetPasswordTokenTTL = 30 * time.Minute
)

// ParseTokenPurpose returns the purpose named s, for adapters reading
// stored tokens.
func ParseTokenPurpose(s string) (TokenPurpose, error) {
	for _, p := range []TokenPurpose{PurposeVerifyEmail, PurposeChangeEmail, PurposeResetPassword} {
		if s == p.value {
			return p, nil
		}
	}
	return TokenPurpose{}, shared.Invalid(CodeInvalidInput, "unknown token purpose", nil)
}

// String returns the stored name of the purpose.
func (p TokenPurpose) String() string { return p.value }

// IsZero reports the zero purpose.
func (p TokenPurpose) IsZero() bool { return p.value == "" }

// TTL is how long a token of this purpose can be used.
func (p TokenPurpose) TTL() time.Duration {
	switch p {
	case PurposeVerifyEmail:
		return VerifyEmailTokenTTL
	case PurposeChangeEmail:
		return ChangeEmailTokenTTL
	case PurposeResetPassword:
		return ResetPasswordTokenTTL
	}
	return 0
}

// TokenHashSize is the length of a token hash (SHA-256).
const TokenHashSize = 32

// TokenHash is the digest of a mailed link's token: only the digest is
// stored, so a database dump yields no usable link.
type TokenHash struct{ b string }

// NewTokenHash wraps a TokenHashSize-byte digest.
func NewTokenHash(b []byte) (TokenHash, error) {
	if len(b) != TokenHashSize {
		return TokenHash{}, shared.Invalid(CodeInvalidInput, "a token hash has 32 bytes", nil)
	}
	return TokenHash{b: string(b)}, nil
}

// Bytes returns a copy of the digest.
func (h TokenHash) Bytes() []byte { return []byte(h.b) }

// IsZero reports the zero value.
func (h TokenHash) IsZero() bool { return h.b == "" }

// String hides the digest from logs.
func (h TokenHash) String() string { return "[token hash]" }

// Token is a single-use secret mailed to an address, stored by its hash:
// a verification link, an email change confirmation or a password reset.
//
// Invariants: non-zero id, user, purpose and hash; a valid email (the
// address the link was mailed to: the account's for verification and
// reset, the new one for an email change); expiresAt is createdAt plus the
// purpose's TTL; once used it stays used. It may be used once, before it
// expires; a newer token of the same purpose retires it.
type Token struct {
	id        uuid.UUID
	user      shared.UserID
	purpose   TokenPurpose
	hash      TokenHash
	email     Email
	session   uuid.UUID
	createdAt time.Time
	expiresAt time.Time
	usedAt    time.Time
}

// NewToken issues a token for user at now, mailed to email. session is the
// session that asked for it (an email change keeps that one when it ends
// the others), zero when none did.
func NewToken(id uuid.UUID, user shared.UserID, purpose TokenPurpose, hash TokenHash, email Email, session uuid.UUID, now time.Time) (*Token, error) {
	f := shared.FieldErrors{}
	if id == uuid.Nil {
		f.Add("id", "is required")
	}
	if user.IsZero() {
		f.Add("user", "is required")
	}
	if purpose.IsZero() {
		f.Add("purpose", "is required")
	}
	if hash.IsZero() {
		f.Add("hash", "is required")
	}
	if email.IsZero() {
		f.Add("email", "is required")
	}
	if now.IsZero() {
		f.Add("created_at", "is required")
	}
	if err := f.Err(CodeInvalidInput); err != nil {
		return nil, err
	}
	now = now.UTC()
	return &Token{
		id: id, user: user, purpose: purpose, hash: hash, email: email, session: session,
		createdAt: now, expiresAt: now.Add(purpose.TTL()),
	}, nil
}

// TokenState is a stored token, for RehydrateToken. A zero UsedAt means
// unused.
type TokenState struct {
	ID        uuid.UUID
	User      shared.UserID
	Purpose   TokenPurpose
	Hash      TokenHash
	Email     Email
	Session   uuid.UUID
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time
}

// RehydrateToken rebuilds a stored token; it is for adapters loading state
// NewToken once validated.
func RehydrateToken(s TokenState) *Token {
	return &Token{
		id: s.ID, user: s.User, purpose: s.Purpose, hash: s.Hash, email: s.Email, session: s.Session,
		createdAt: s.CreatedAt.UTC(), expiresAt: s.ExpiresAt.UTC(), usedAt: utcOrZero(s.UsedAt),
	}
}

// State returns what an adapter stores of the token.
func (t *Token) State() TokenState {
	return TokenState{
		ID: t.id, User: t.user, Purpose: t.purpose, Hash: t.hash, Email: t.email, Session: t.session,
		CreatedAt: t.createdAt, ExpiresAt: t.expiresAt, UsedAt: t.usedAt,
	}
}

// ID returns the token's id (never secret: it names the token in logs).
func (t *Token) ID() uuid.UUID { return t.id }

// User returns the account the token belongs to.
func (t *Token) User() shared.UserID { return t.user }

// Purpose returns what the token may do.
func (t *Token) Purpose() TokenPurpose { return t.purpose }

// Hash returns the token's digest.
func (t *Token) Hash() TokenHash { return t.hash }

// Email returns the address the token was mailed to.
func (t *Token) Email() Email { return t.email }

// Session returns the session that asked for the token (zero for none).
func (t *Token) Session() uuid.UUID { return t.session }

// CreatedAt returns when the token was issued.
func (t *Token) CreatedAt() time.Time { return t.createdAt }

// ExpiresAt returns the first instant the token no longer works.
func (t *Token) ExpiresAt() time.Time { return t.expiresAt }

// UsedAt returns when the token was used or retired (zero while unused).
func (t *Token) UsedAt() time.Time { return t.usedAt }

// Used reports whether the token was used or retired.
func (t *Token) Used() bool { return !t.usedAt.IsZero() }

// Check reports whether the token could be spent at now for purpose: a
// token of another purpose is ErrTokenInvalid, a used (or retired) one
// ErrTokenUsed, one at or past its deadline ErrTokenExpired.
func (t *Token) Check(purpose TokenPurpose, now time.Time) error {
	switch {
	case t.purpose != purpose:
		return ErrTokenInvalid
	case t.Used():
		return ErrTokenUsed
	case !now.Before(t.expiresAt):
		return ErrTokenExpired
	}
	return nil
}

// Use spends the token at now for purpose, or returns Check's error and
// leaves the token unchanged.
func (t *Token) Use(purpose TokenPurpose, now time.Time) error {
	if err := t.Check(purpose, now); err != nil {
		return err
	}
	t.usedAt = now.UTC()
	return nil
}
