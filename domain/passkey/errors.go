package passkey

import (
	"errors"

	"github.com/secuird/authy/domain/shared"
)

// CodeInvalidInput is the validation code of a malformed request.
const CodeInvalidInput = "passkey.invalid_input"

// The context's errors. Their codes are public API.
var (
	// ErrNotFound is an unknown passkey id, or one of another user.
	ErrNotFound = shared.NotFound("passkey.not_found", "passkey not found")
	// ErrAlreadyRegistered refuses a credential already registered (to
	// this account or another).
	ErrAlreadyRegistered = shared.Conflict("passkey.already_registered", "this passkey is already registered")
	// ErrCeremonyInvalid answers an unknown, expired or already finished
	// ceremony, one of another user or purpose, or one begun by another
	// client: one error, so an answer never tells which.
	ErrCeremonyInvalid = shared.Invalid("passkey.ceremony_invalid",
		"this passkey ceremony is unknown, expired or already finished; begin again",
		map[string][]string{"ceremony": {"is not valid"}})
	// ErrAttestationInvalid refuses a registration response that does not
	// verify (wrong origin or relying party, challenge, signature, format).
	ErrAttestationInvalid = shared.Invalid("passkey.registration_invalid",
		"the passkey registration could not be verified",
		map[string][]string{"credential": {"could not be verified"}})
	// ErrAssertionInvalid refuses a sign-in with a passkey that does not
	// verify: unknown credential, wrong origin or relying party, bad
	// signature, or a sign counter that did not move forward (a cloned
	// authenticator). One error, so an answer never tells which.
	ErrAssertionInvalid = shared.Unauthenticated("passkey.invalid_credential",
		"the passkey could not be verified")
	// ErrCloned is a sign counter that did not move forward: two copies of
	// the private key may exist. It is no public error: the use case
	// answers ErrAssertionInvalid and records the reason.
	ErrCloned = errors.New("passkey: the sign counter did not move forward")
	// ErrFlagsChanged is an assertion whose backup eligibility differs
	// from the registration's, or that claims a backup without
	// eligibility (answered like ErrCloned).
	ErrFlagsChanged = errors.New("passkey: the backup flags changed")
	// ErrUnavailable answers every ceremony when PUBLIC_URL names no
	// domain a relying party id can be (an IP address): the feature is not
	// there, which is no failure of the server.
	ErrUnavailable = shared.NotFound("passkey.unavailable",
		"passkeys are off on this server: PUBLIC_URL must name a domain (not an IP address)")
	// ErrRateLimited answers a client past its failed passkey sign-ins.
	ErrRateLimited = shared.RateLimited("passkey.rate_limited", "too many failed passkey sign-ins; retry later", 0)
)

func invalidName(reason string) error {
	return shared.Invalid(CodeInvalidInput, "the request has invalid fields", map[string][]string{"name": {reason}})
}
