package passkeyport

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/sessionsport"
)

// Begun is a begun ceremony: its single-use token (shown once), when it
// expires, and the options to hand to navigator.credentials (a
// {"publicKey": …} object, binary values in base64url).
type Begun struct {
	Ceremony  string
	ExpiresAt time.Time
	Options   json.RawMessage
}

// FinishRegistrationCommand finishes a registration with the
// authenticator's response (a PublicKeyCredential as JSON) and an
// optional name.
type FinishRegistrationCommand struct {
	Ceremony   string
	Credential json.RawMessage
	Name       string
}

// PasskeyView is a passkey as its owner sees it: never its key.
type PasskeyView struct {
	ID             uuid.UUID
	Name           string
	CreatedAt      time.Time
	LastUsedAt     time.Time
	UserVerified   bool
	BackupEligible bool
	BackupState    bool
	Transports     []string
}

// FinishLoginCommand finishes a passwordless sign-in with the
// authenticator's assertion (a PublicKeyCredential as JSON).
type FinishLoginCommand struct {
	Ceremony   string
	Credential json.RawMessage
}

// LoginCompleted is a passwordless sign-in: the session it started, or,
// for an assertion without user verification on an account with another
// factor, the second step that account needs (MFA).
type LoginCompleted struct {
	Session sessionsport.IssuedSession
	User    identityport.UserView
	MFA     *identityport.LoginChallenge
}

// Service is the passkey context's use-case API.
//
// A ceremony is single use, expires five minutes after it began, and is
// bound to the client that began it and, for a registration, to its user:
// any other is passkey.ErrCeremonyInvalid. Beginning a registration and
// removing a passkey need a sign-in or factor check of p's session within
// the step-up window (mfa.step_up_required otherwise). Failed passwordless
// sign-ins are limited per client (passkey.rate_limited). Every
// registration, rename, removal and successful and failed use is audited,
// with no key, challenge or token in its details.
type Service interface {
	// BeginRegistration begins registering a passkey for p's user:
	// discoverable (resident key preferred), user verification preferred,
	// no attestation asked, the user's passkeys excluded.
	BeginRegistration(ctx context.Context, p sessionsport.Principal) (Begun, error)
	// FinishRegistration verifies the response against the ceremony and
	// stores the passkey; a credential registered already is
	// passkey.ErrAlreadyRegistered, a response that does not verify
	// passkey.ErrAttestationInvalid.
	FinishRegistration(ctx context.Context, p sessionsport.Principal, cmd FinishRegistrationCommand) (PasskeyView, error)
	// List lists p's user's passkeys, oldest first.
	List(ctx context.Context, p sessionsport.Principal) ([]PasskeyView, error)
	// Rename renames one of p's user's passkeys; another user's is
	// passkey.ErrNotFound.
	Rename(ctx context.Context, p sessionsport.Principal, id uuid.UUID, name string) (PasskeyView, error)
	// Remove removes one of p's user's passkeys (step-up window).
	Remove(ctx context.Context, p sessionsport.Principal, id uuid.UUID) error
	// BeginLogin begins a passwordless sign-in: no user is named, the
	// authenticator offers its discoverable credentials.
	BeginLogin(ctx context.Context) (Begun, error)
	// FinishLogin verifies the assertion and starts a session like a
	// password login, with method "passkey" and amr "hwk" (plus "user"
	// and "mfa" when the authenticator verified its user). An unknown
	// credential, a bad signature, a wrong origin or relying party, or a
	// sign counter that did not move forward is
	// passkey.ErrAssertionInvalid.
	FinishLogin(ctx context.Context, cmd FinishLoginCommand) (LoginCompleted, error)
}
