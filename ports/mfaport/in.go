package mfaport

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/sessionsport"
)

// StepUpWindow is how recent a sign-in or a factor check of a session must
// be for a sensitive change.
const StepUpWindow = 5 * time.Minute

// TOTPEnrolment is a started TOTP enrolment: the secret, shown this once,
// as base32 and as an otpauth:// URI for an authenticator app.
type TOTPEnrolment struct {
	FactorID uuid.UUID
	Secret   string
	URI      string
}

// FactorView is a factor as its owner sees it: never its secret.
type FactorView struct {
	ID          uuid.UUID
	Kind        string
	Confirmed   bool
	CreatedAt   time.Time
	ConfirmedAt time.Time
	LastUsedAt  time.Time
}

// Factors lists an account's factors with how many recovery codes remain.
type Factors struct {
	Items             []FactorView
	RecoveryCodesLeft int
}

// Confirmed is a confirmed enrolment, with the recovery codes made when it
// is the account's first factor (shown this once; empty otherwise).
type Confirmed struct {
	Factor        FactorView
	RecoveryCodes []string
}

// Proof is a current second factor presented with a request: a TOTP code,
// a recovery code or a passkey assertion (at most one of them).
type Proof struct {
	TOTP         string
	RecoveryCode string
	WebAuthn     *WebAuthnAssertion
}

// WebAuthnAssertion is a passkey's answer to a ceremony begun at POST
// /auth/webauthn/login/begin: the ceremony token and the
// PublicKeyCredential as JSON.
type WebAuthnAssertion struct {
	Ceremony   string
	Credential json.RawMessage
}

// Empty reports that no code was presented.
func (p Proof) Empty() bool { return p.TOTP == "" && p.RecoveryCode == "" && p.WebAuthn == nil }

// CompleteLoginCommand answers a login challenge with a code.
type CompleteLoginCommand struct {
	Challenge string
	Proof
}

// LoginCompleted is the session a completed challenge started.
type LoginCompleted struct {
	Session sessionsport.IssuedSession
	User    identityport.UserView
	// RecoveryCodesLeft is set when a recovery code was used.
	RecoveryCodesLeft *int
}

// Service is the mfa context's use-case API.
//
// Every change needs p's session to be recent (see StepUp) or, where a
// Proof is accepted, a current code; a code is checked against a confirmed
// factor only, each TOTP time step once (a replay is mfa.ErrInvalidCode,
// like a wrong code), with one step of drift either way. Wrong codes are
// rate-limited per account and client and per account ("mfa.rate_limited");
// an account's known clients keep their own budget, so guessing from
// elsewhere does not lock the owner out. Every enrolment, removal,
// successful and failed check and recovery code use is audited, with no
// secret or code in its details.
type Service interface {
	// StartTOTP starts a TOTP enrolment, replacing a pending one; an
	// account with a confirmed TOTP factor gets mfa.ErrAlreadyEnrolled.
	StartTOTP(ctx context.Context, p sessionsport.Principal) (TOTPEnrolment, error)
	// ConfirmTOTP confirms a pending enrolment with its first valid code;
	// the account's first factor also gets a set of recovery codes, and
	// counts as a factor check of p's session.
	ConfirmTOTP(ctx context.Context, p sessionsport.Principal, factor uuid.UUID, code string) (Confirmed, error)
	// ListFactors lists p's user's factors, oldest first.
	ListFactors(ctx context.Context, p sessionsport.Principal) (Factors, error)
	// RemoveFactor removes one of p's user's factors after a current code
	// or within the step-up window; removing the last confirmed factor
	// voids the recovery codes too. Another user's factor is
	// mfa.ErrFactorNotFound.
	RemoveFactor(ctx context.Context, p sessionsport.Principal, factor uuid.UUID, proof Proof) error
	// RegenerateRecoveryCodes replaces the recovery codes (voiding the old
	// set) after a current code or within the step-up window.
	RegenerateRecoveryCodes(ctx context.Context, p sessionsport.Principal, proof Proof) ([]string, error)
	// VerifyFactor checks a current code and records it as a factor check
	// of p's session, which then passes StepUp for StepUpWindow; it
	// returns when that window ends.
	VerifyFactor(ctx context.Context, p sessionsport.Principal, proof Proof) (time.Time, error)
	// CompleteLogin answers a login challenge: a valid code from the
	// client that passed the first factor, before the challenge expires,
	// starts the session (amr "pwd", "otp" or the recovery code's, and
	// "mfa"). An unknown, expired, used, exhausted or another client's
	// challenge is mfa.ErrChallengeInvalid.
	CompleteLogin(ctx context.Context, cmd CompleteLoginCommand) (LoginCompleted, error)
}

// StepUp is what other contexts ask before a sensitive change (deleting
// the account, changing its email or password, removing a factor, rotating
// an OAuth client secret, creating a SCIM token).
//
// RequireRecent returns nil when p's session signed in, or passed a factor
// check (VerifyFactor, or confirming an enrolment), within StepUpWindow,
// and mfa.ErrStepUpRequired (Forbidden) otherwise. passwordChecked says
// the caller has just verified the account's password itself: for an
// account without a confirmed factor that is re-authentication enough.
type StepUp interface {
	RequireRecent(ctx context.Context, p sessionsport.Principal, passwordChecked bool) error
}

// Enrolment answers whether an account has a confirmed factor (the
// organization MFA policy asks).
type Enrolment interface {
	HasFactor(ctx context.Context, user shared.UserID) (bool, error)
}
