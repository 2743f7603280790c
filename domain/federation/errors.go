package federation

import "github.com/secuird/authy/domain/shared"

// Stable error codes of the federation context (public API: clients and
// the error page branch on them).
const (
	CodeInvalidInput        = "federation.invalid_input"
	CodeUnknownProvider     = "federation.unknown_provider"
	CodeStateInvalid        = "federation.state_invalid"
	CodeStateExpired        = "federation.state_expired"
	CodeBrowserMismatch     = "federation.browser_mismatch"
	CodeConsentDenied       = "federation.consent_denied"
	CodeProviderError       = "federation.provider_error"
	CodeTokenInvalid        = "federation.token_invalid"
	CodeEmailMissing        = "federation.email_missing"
	CodeLinkRequiresSignIn  = "federation.link_requires_sign_in"
	CodeIdentityTaken       = "federation.identity_taken"
	CodeIdentityNotFound    = "federation.identity_not_found"
	CodeLastSignInMethod    = "federation.last_sign_in_method"
	CodeLoginCodeInvalid    = "federation.login_code_invalid"
	CodeReauthRequired      = "federation.reauthentication_required"
	CodeProviderUnavailable = "federation.provider_unavailable"
	CodeRateLimited         = "federation.rate_limited"
)

var (
	// ErrUnknownProvider is a provider name that is not configured.
	ErrUnknownProvider = shared.NotFound(CodeUnknownProvider, "no such sign-in provider is enabled")
	// ErrStateInvalid is a callback whose state was never issued, was
	// already used, or names another provider.
	ErrStateInvalid = shared.BadRequest(CodeStateInvalid, "this sign-in attempt is not valid or was already used; start again")
	// ErrStateExpired is a callback after the flow's lifetime.
	ErrStateExpired = shared.BadRequest(CodeStateExpired, "this sign-in attempt has expired; start again")
	// ErrBrowserMismatch is a callback arriving in another browser than the
	// one that started the flow (a replayed or planted callback).
	ErrBrowserMismatch = shared.BadRequest(CodeBrowserMismatch, "this sign-in was started in another browser; start again here")
	// ErrConsentDenied is the provider reporting that the user refused.
	ErrConsentDenied = shared.BadRequest(CodeConsentDenied, "the sign-in was cancelled at the provider")
	// ErrProviderError is the provider reporting an error, or answering the
	// code exchange or the profile request with one.
	ErrProviderError = shared.BadRequest(CodeProviderError, "the provider did not complete the sign-in")
	// ErrTokenInvalid is an ID token that fails verification (signature,
	// issuer, audience, expiry or nonce).
	ErrTokenInvalid = shared.BadRequest(CodeTokenInvalid, "the provider's answer could not be verified")
	// ErrEmailMissing is a provider that gives no email for a new account.
	ErrEmailMissing = shared.Conflict(CodeEmailMissing, "the provider did not share an email address; an account needs one")
	// ErrLinkRequiresSignIn is a first sign-in whose email belongs to an
	// Authy account, without both sides vouching for the address: the
	// owner must sign in first and link the provider from there.
	ErrLinkRequiresSignIn = shared.Conflict(CodeLinkRequiresSignIn,
		"an account already uses this email address; sign in with its password first, then link this provider")
	// ErrIdentityTaken is an external identity already linked to another
	// user.
	ErrIdentityTaken = shared.Conflict(CodeIdentityTaken, "this provider account is linked to another user")
	// ErrIdentityNotFound is an identity that does not exist or belongs to
	// someone else.
	ErrIdentityNotFound = shared.NotFound(CodeIdentityNotFound, "linked identity not found")
	// ErrLastSignInMethod refuses to remove the user's only way to sign in.
	ErrLastSignInMethod = shared.Conflict(CodeLastSignInMethod,
		"this is the account's last way to sign in; set a password or link another provider first")
	// ErrLoginCodeInvalid is a login code that was never issued, was used,
	// or has expired: all look alike.
	ErrLoginCodeInvalid = shared.Unauthenticated(CodeLoginCodeInvalid, "the login code is invalid, used or expired")
	// ErrReauthRequired refuses to link a provider on a session whose
	// sign-in is not recent.
	ErrReauthRequired = shared.Forbidden(CodeReauthRequired, "sign in again within the last 5 minutes to link a provider")
	// ErrProviderUnavailable is a provider that cannot be reached.
	ErrProviderUnavailable = shared.Unavailable(CodeProviderUnavailable, "the sign-in provider cannot be reached; try again shortly")
)
