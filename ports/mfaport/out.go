package mfaport

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/mfa"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/sessionsport"
)

// FactorRepository stores factors.
//
// Contract (checked by mfaporttest on every backend): Find returns a factor
// in any state, an unknown one is mfa.ErrFactorNotFound; List returns a
// user's factors oldest first; Update locks the row (FOR UPDATE on
// PostgreSQL) in the transaction ctx carries or one of its own, so two
// instances accepting codes of one factor are serialised, and an error from
// fn rolls back; Delete of an unknown id is mfa.ErrFactorNotFound;
// DeletePending removes a user's unconfirmed factors; DeleteOfUser all of
// them; Page returns up to limit factors of every user with an id after
// after, in id order; ReplaceSecret stores to as a factor's sealed secret
// only while it is still from (false otherwise: another instance resealed
// it, or it was removed).
type FactorRepository interface {
	Page(ctx context.Context, after uuid.UUID, limit int) ([]*mfa.Factor, error)
	ReplaceSecret(ctx context.Context, id uuid.UUID, from, to mfa.SealedSecret) (bool, error)
	Add(ctx context.Context, f *mfa.Factor) error
	Find(ctx context.Context, id uuid.UUID) (*mfa.Factor, error)
	List(ctx context.Context, user shared.UserID) ([]*mfa.Factor, error)
	Update(ctx context.Context, id uuid.UUID, fn func(*mfa.Factor) error) error
	Delete(ctx context.Context, id uuid.UUID) error
	DeletePending(ctx context.Context, user shared.UserID) error
	DeleteOfUser(ctx context.Context, user shared.UserID) error
}

// RecoveryCodeRepository stores each account's one set of recovery codes.
//
// Contract: Save replaces the user's set whole; Get of a user without one
// is (nil, nil); Update locks the set in the transaction ctx carries or
// one of its own and saves what fn left, (nil) when there is none;
// Delete removes it (no set is no error).
type RecoveryCodeRepository interface {
	Save(ctx context.Context, codes *mfa.RecoveryCodes) error
	Get(ctx context.Context, user shared.UserID) (*mfa.RecoveryCodes, error)
	Update(ctx context.Context, user shared.UserID, fn func(*mfa.RecoveryCodes) error) error
	Delete(ctx context.Context, user shared.UserID) error
}

// ChallengeRepository stores login challenges.
//
// Contract: digests are unique; FindByHash of an unknown digest is
// mfa.ErrChallengeInvalid; Update locks the row in the transaction ctx
// carries or one of its own (so a challenge completes once even when two
// instances race), an error from fn rolls back; DeleteOfUser removes a
// user's challenges; DeleteExpired removes up to batch challenges that
// expired before before and returns how many.
type ChallengeRepository interface {
	DeleteExpired(ctx context.Context, before time.Time, batch int) (int, error)
	Add(ctx context.Context, c *mfa.Challenge) error
	FindByHash(ctx context.Context, h mfa.ChallengeHash) (*mfa.Challenge, error)
	Update(ctx context.Context, id uuid.UUID, fn func(*mfa.Challenge) error) error
	DeleteOfUser(ctx context.Context, user shared.UserID) error
}

// StepUpRepository remembers the last factor check of each session.
//
// Contract: Record keeps the latest time per session (an earlier one does
// not replace a later one); Last of a session without one is the zero
// time.
type StepUpRepository interface {
	Record(ctx context.Context, session uuid.UUID, user shared.UserID, at time.Time) error
	Last(ctx context.Context, session uuid.UUID) (time.Time, error)
}

// TOTPCodes makes TOTP secrets and matches codes (RFC 6238: SHA-1, 6
// digits, 30-second steps, the parameters every authenticator app reads).
//
// Contract: Generate returns a new random secret of at least 160 bits in
// base32 and its otpauth:// URI naming issuer and account; Match returns
// the time step (Unix time / 30) whose code equals code, trying the step
// of at and one step either side, with a constant-time comparison, and
// false for anything else (wrong length, not digits, no match).
type TOTPCodes interface {
	Generate(issuer, account string) (secret, uri string, err error)
	Match(secret, code string, at time.Time) (step int64, ok bool)
}

// RecoveryCodeDigests makes recovery codes and their keyed digests.
//
// Contract: New returns a code of at least 50 random bits, shown to the
// user as "xxxxx-xxxxx", and its digest; Match reports, in constant time,
// whether a code as typed (any case, with or without the dash and
// spaces) has digest d, also under a retired key.
type RecoveryCodeDigests interface {
	New() (code string, d mfa.CodeDigest, err error)
	Match(code string, d mfa.CodeDigest) bool
}

// ChallengeTokens makes login challenge tokens and their digests.
//
// Contract: New returns a token of 256 random bits in URL-safe base64 and
// its SHA-256; Hash(token) equals what New returned.
type ChallengeTokens interface {
	New() (string, mfa.ChallengeHash, error)
	Hash(token string) mfa.ChallengeHash
}

// SecurityKeys is a second factor another context gives: the user's
// passkeys (the passkey context implements it).
//
// Has reports whether user has one. Verify checks an assertion of one of
// user's passkeys in the transaction ctx carries (its ceremony spent, its
// sign counter moved, both rolled back with that transaction): ok is false
// for one that does not verify (another user's passkey, a bad signature,
// a counter that did not move forward); amr is what it proves ("hwk", and
// "user" when the authenticator verified its user); err is a malformed
// request, a ceremony that is not valid, or a store that cannot answer.
type SecurityKeys interface {
	Has(ctx context.Context, user shared.UserID) (bool, error)
	Verify(ctx context.Context, user shared.UserID, a WebAuthnAssertion) (amr []string, ok bool, err error)
}

// Accounts is what mfa asks of identity: the account a completed sign-in
// answers with (identityport.Service's Me).
type Accounts interface {
	Me(ctx context.Context, p sessionsport.Principal) (identityport.UserView, error)
}
