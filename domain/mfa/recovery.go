package mfa

import (
	"time"

	"github.com/secuird/authy/domain/shared"
)

// RecoveryCodeCount is how many codes a set holds.
const RecoveryCodeCount = 10

// CodeDigest is the keyed digest of one recovery code: only the digest is
// stored, and without the server's key a dump of digests cannot even be
// searched offline.
type CodeDigest struct{ v string }

// NewCodeDigest wraps a digest.
func NewCodeDigest(s string) (CodeDigest, error) {
	if s == "" {
		return CodeDigest{}, shared.Invalid(CodeInvalidInput, "a recovery code digest is empty", nil)
	}
	return CodeDigest{v: s}, nil
}

// String returns the digest.
func (d CodeDigest) String() string { return d.v }

// RecoveryCode is one code of a set: its digest and when it was used.
type RecoveryCode struct {
	Digest CodeDigest
	UsedAt time.Time
}

// RecoveryCodes is an account's set of single-use recovery codes.
//
// Invariants: it holds exactly RecoveryCodeCount codes of one user; a used
// code stays used; a new set replaces the old one whole (regenerating
// voids every code of the old set).
type RecoveryCodes struct {
	user        shared.UserID
	codes       []RecoveryCode
	generatedAt time.Time
}

// NewRecoveryCodes makes a fresh set from the digests of new codes.
func NewRecoveryCodes(user shared.UserID, digests []CodeDigest, now time.Time) (*RecoveryCodes, error) {
	if user.IsZero() || len(digests) != RecoveryCodeCount {
		return nil, shared.Invalid(CodeInvalidInput, "a recovery code set needs a user and 10 digests", nil)
	}
	codes := make([]RecoveryCode, len(digests))
	for i, d := range digests {
		if d.v == "" {
			return nil, shared.Invalid(CodeInvalidInput, "a recovery code digest is empty", nil)
		}
		codes[i] = RecoveryCode{Digest: d}
	}
	return &RecoveryCodes{user: user, codes: codes, generatedAt: now}, nil
}

// RehydrateRecoveryCodes rebuilds a stored set (adapters only).
func RehydrateRecoveryCodes(user shared.UserID, codes []RecoveryCode, generatedAt time.Time) *RecoveryCodes {
	return &RecoveryCodes{user: user, codes: append([]RecoveryCode(nil), codes...), generatedAt: generatedAt}
}

// User is the account the set belongs to.
func (r *RecoveryCodes) User() shared.UserID { return r.user }

// GeneratedAt is when the set was made.
func (r *RecoveryCodes) GeneratedAt() time.Time { return r.generatedAt }

// Codes returns a copy of the codes, in order.
func (r *RecoveryCodes) Codes() []RecoveryCode { return append([]RecoveryCode(nil), r.codes...) }

// Unused returns the positions and digests of the codes not used yet.
func (r *RecoveryCodes) Unused() map[int]CodeDigest {
	out := map[int]CodeDigest{}
	for i, c := range r.codes {
		if c.UsedAt.IsZero() {
			out[i] = c.Digest
		}
	}
	return out
}

// Remaining counts the codes not used yet.
func (r *RecoveryCodes) Remaining() int { return len(r.Unused()) }

// Use spends the code at position i: a used or unknown position is
// ErrInvalidCode.
func (r *RecoveryCodes) Use(i int, now time.Time) error {
	if i < 0 || i >= len(r.codes) || !r.codes[i].UsedAt.IsZero() {
		return ErrInvalidCode
	}
	r.codes[i].UsedAt = now
	return nil
}
