package passkeyport

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/passkey"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/sessionsport"
)

// CredentialRepository stores passkeys.
//
// Contract: Add of a credential id already stored (any user) is
// passkey.ErrAlreadyRegistered; Find and FindByCredentialID of an unknown
// one are passkey.ErrNotFound; List returns a user's passkeys oldest
// first; Update locks the row (FOR UPDATE on PostgreSQL) in the
// transaction ctx carries or one of its own, so two instances accepting
// assertions of one credential are serialised and its counter moves
// forward once, and an error from fn rolls back; Delete of an unknown id
// is passkey.ErrNotFound; DeleteOfUser removes a user's passkeys.
type CredentialRepository interface {
	Add(ctx context.Context, c *passkey.Credential) error
	Find(ctx context.Context, id uuid.UUID) (*passkey.Credential, error)
	FindByCredentialID(ctx context.Context, credentialID []byte) (*passkey.Credential, error)
	List(ctx context.Context, user shared.UserID) ([]*passkey.Credential, error)
	Update(ctx context.Context, id uuid.UUID, fn func(*passkey.Credential) error) error
	Delete(ctx context.Context, id uuid.UUID) error
	DeleteOfUser(ctx context.Context, user shared.UserID) error
}

// CeremonyRepository stores begun ceremonies.
//
// Contract: digests are unique; Take removes and returns the ceremony of
// a digest, so of two callers racing for one exactly one gets it, and an
// unknown digest is passkey.ErrCeremonyInvalid; DeleteExpired removes the
// ceremonies that expired before now; DeleteOfUser a user's.
type CeremonyRepository interface {
	Add(ctx context.Context, c *passkey.Ceremony) error
	Take(ctx context.Context, h passkey.TokenHash) (*passkey.Ceremony, error)
	DeleteExpired(ctx context.Context, now time.Time) error
	DeleteOfUser(ctx context.Context, user shared.UserID) error
}

// CeremonyTokens makes ceremony tokens and their digests.
//
// Contract: New returns a token of 256 random bits in URL-safe base64 and
// its SHA-256; Hash(token) equals what New returned.
type CeremonyTokens interface {
	New() (string, passkey.TokenHash, error)
	Hash(token string) passkey.TokenHash
}

// Account is the user a ceremony registers a passkey for: the user
// handle is the id's 16 bytes.
type Account struct {
	ID          shared.UserID
	Name        string
	DisplayName string
}

// Login is a verified assertion: the stored credential it used and the
// authenticator's report of this ceremony.
type Login struct {
	Credential *passkey.Credential
	Assertion  passkey.Assertion
}

// RelyingParty runs the WebAuthn ceremonies, with the relying party id
// and origin of PUBLIC_URL.
//
// Contract: Begin* return the options for the client and the state to keep
// server-side (at most passkey.MaxStateBytes); Finish* verify a response
// against that state (challenge, origin, relying party id, user presence,
// signature, and for a registration the user handle): a malformed or
// failing registration is passkey.ErrAttestationInvalid, a failing
// assertion passkey.ErrAssertionInvalid (wrapping the cause for the log).
// FinishLogin asks find for the stored credential of the response's
// credential id and user handle; it does not judge the sign counter (the
// domain does). Enabled is false when PUBLIC_URL names no domain; every
// other method then answers passkey.ErrUnavailable.
type RelyingParty interface {
	Enabled() bool
	BeginRegistration(a Account, exclude []*passkey.Credential) (options, state []byte, err error)
	FinishRegistration(a Account, state, response []byte) (passkey.Registered, error)
	BeginLogin() (options, state []byte, err error)
	FinishLogin(state, response []byte, find func(credentialID []byte, user shared.UserID) (*passkey.Credential, error)) (Login, error)
}

// StepUp is the step-up check (mfaport.StepUp, identityport.StepUpGuard).
type StepUp interface {
	RequireRecent(ctx context.Context, p sessionsport.Principal, passwordChecked bool) error
}

// Accounts is what the context asks of identity: who a user is, and the
// account a completed sign-in answers with.
type Accounts interface {
	identityport.Directory
	Me(ctx context.Context, p sessionsport.Principal) (identityport.UserView, error)
}
