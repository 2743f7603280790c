package mfa

import (
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
)

// Kind is a factor's kind.
type Kind struct{ v string }

// KindTOTP is a time-based one-time password authenticator (RFC 6238).
var KindTOTP = Kind{"totp"}

// ParseKind reads a stored or requested kind.
func ParseKind(s string) (Kind, error) {
	if s == KindTOTP.v {
		return KindTOTP, nil
	}
	return Kind{}, shared.Invalid(CodeInvalidInput, "unknown factor kind", nil)
}

// String names the kind.
func (k Kind) String() string { return k.v }

// IsZero reports the zero value.
func (k Kind) IsZero() bool { return k.v == "" }

// SealedSecret is a factor's shared secret as sealed by the keyring: the
// domain never sees the secret itself.
type SealedSecret struct{ v string }

// NewSealedSecret wraps a sealed value.
func NewSealedSecret(s string) (SealedSecret, error) {
	if s == "" {
		return SealedSecret{}, shared.Invalid(CodeInvalidInput, "a factor needs a sealed secret", nil)
	}
	return SealedSecret{v: s}, nil
}

// String returns the sealed form (safe to store, useless without the key).
func (s SealedSecret) String() string { return s.v }

// IsZero reports the zero value.
func (s SealedSecret) IsZero() bool { return s.v == "" }

// Factor is one second factor of an account.
//
// Invariants: it belongs to one user; it is pending until a first valid
// code confirms it, and only a confirmed factor signs in or stands in for
// a step-up; a TOTP time step is accepted at most once, and never one at
// or before the last step accepted (LastStep), so a code observed in use
// cannot be replayed within its window, on any instance.
type Factor struct {
	id          uuid.UUID
	user        shared.UserID
	kind        Kind
	secret      SealedSecret
	createdAt   time.Time
	confirmedAt time.Time
	lastUsedAt  time.Time
	lastStep    int64
}

// NewTOTPFactor starts the enrolment of a TOTP authenticator.
func NewTOTPFactor(id uuid.UUID, user shared.UserID, secret SealedSecret, now time.Time) (*Factor, error) {
	if id == uuid.Nil || user.IsZero() || secret.IsZero() {
		return nil, shared.Invalid(CodeInvalidInput, "a factor needs an id, a user and a secret", nil)
	}
	return &Factor{id: id, user: user, kind: KindTOTP, secret: secret, createdAt: now}, nil
}

// FactorState is a stored factor, for RehydrateFactor.
type FactorState struct {
	ID          uuid.UUID
	User        shared.UserID
	Kind        Kind
	Secret      SealedSecret
	CreatedAt   time.Time
	ConfirmedAt time.Time
	LastUsedAt  time.Time
	LastStep    int64
}

// RehydrateFactor rebuilds a stored factor (adapters only).
func RehydrateFactor(s FactorState) *Factor {
	return &Factor{id: s.ID, user: s.User, kind: s.Kind, secret: s.Secret, createdAt: s.CreatedAt,
		confirmedAt: s.ConfirmedAt, lastUsedAt: s.LastUsedAt, lastStep: s.LastStep}
}

// ID identifies the factor.
func (f *Factor) ID() uuid.UUID { return f.id }

// User is the account it belongs to.
func (f *Factor) User() shared.UserID { return f.user }

// Kind is its kind.
func (f *Factor) Kind() Kind { return f.kind }

// Secret is its sealed secret.
func (f *Factor) Secret() SealedSecret { return f.secret }

// CreatedAt is when its enrolment started.
func (f *Factor) CreatedAt() time.Time { return f.createdAt }

// ConfirmedAt is when its enrolment was confirmed (zero while pending).
func (f *Factor) ConfirmedAt() time.Time { return f.confirmedAt }

// LastUsedAt is when a code of it was last accepted (zero: never).
func (f *Factor) LastUsedAt() time.Time { return f.lastUsedAt }

// LastStep is the last time step accepted (0: none).
func (f *Factor) LastStep() int64 { return f.lastStep }

// Confirmed reports that its enrolment was confirmed.
func (f *Factor) Confirmed() bool { return !f.confirmedAt.IsZero() }

// Confirm completes the enrolment with the time step of a first valid
// code.
func (f *Factor) Confirm(step int64, now time.Time) error {
	if f.Confirmed() {
		return ErrNotPending
	}
	if err := f.checkStep(step); err != nil {
		return err
	}
	f.confirmedAt, f.lastUsedAt, f.lastStep = now, now, step
	return nil
}

// Use accepts a code of time step step: a step at or before the last one
// accepted is ErrInvalidCode (a replay, or an older code after a newer
// one).
func (f *Factor) Use(step int64, now time.Time) error {
	if !f.Confirmed() {
		return ErrNotConfirmed
	}
	if err := f.checkStep(step); err != nil {
		return err
	}
	f.lastUsedAt, f.lastStep = now, step
	return nil
}

func (f *Factor) checkStep(step int64) error {
	if step <= 0 || step <= f.lastStep {
		return ErrInvalidCode
	}
	return nil
}
