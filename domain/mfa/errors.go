package mfa

import "github.com/secuird/authy/domain/shared"

// The context's errors. Their codes are public API.
var (
	// ErrFactorNotFound is an unknown factor id, or one of another user.
	ErrFactorNotFound = shared.NotFound("mfa.factor_not_found", "factor not found")
	// ErrAlreadyEnrolled refuses a second TOTP authenticator: remove the
	// current one first.
	ErrAlreadyEnrolled = shared.Conflict("mfa.already_enrolled", "a TOTP authenticator is already enrolled; remove it first")
	// ErrNotPending refuses confirming a factor that is already confirmed.
	ErrNotPending = shared.Conflict("mfa.already_confirmed", "this factor is already confirmed")
	// ErrNotConfirmed refuses using a factor whose enrolment was never
	// confirmed.
	ErrNotConfirmed = shared.Conflict("mfa.not_confirmed", "this factor's enrolment is not confirmed")
	// ErrInvalidCode answers a wrong, expired or already used code: one
	// error, so an answer never tells which.
	ErrInvalidCode = shared.Invalid(CodeInvalidCode, "the code is not valid",
		map[string][]string{"code": {"is not valid"}})
	// ErrChallengeInvalid answers an unknown, expired, used or exhausted
	// login challenge, or one presented by another client.
	ErrChallengeInvalid = shared.Unauthenticated("mfa.challenge_invalid",
		"this sign-in challenge is not valid; sign in again")
	// ErrNoFactor refuses regenerating recovery codes of an account
	// without a confirmed factor.
	ErrNoFactor = shared.Conflict("mfa.no_factor", "this account has no confirmed factor")
	// ErrStepUpRequired refuses a sensitive action of a session that did
	// not sign in or pass a factor check within the step-up window.
	ErrStepUpRequired = shared.Forbidden("mfa.step_up_required",
		"this action needs a recent sign-in: sign in again or verify a factor, then retry within 5 minutes")
	// ErrEnrolmentRequired refuses a member without a factor on the routes
	// of an organization that requires one.
	ErrEnrolmentRequired = shared.Forbidden("mfa.enrolment_required",
		"this organization requires multi-factor sign-in: enrol a factor first")
)

// CodeInvalidCode is the validation code of a code that does not verify;
// CodeInvalidInput of a malformed request.
const (
	CodeInvalidCode  = "mfa.invalid_code"
	CodeInvalidInput = "mfa.invalid_input"
)
