package sso

import "github.com/secuird/authy/domain/shared"

// Stable error codes of the sso context (public API: clients branch on
// them).
const (
	CodeInvalidInput        = "sso.invalid_input"
	CodeForbidden           = "sso.forbidden"
	CodeDomainNotFound      = "sso.domain_not_found"
	CodeDomainExists        = "sso.domain_exists"
	CodeDomainTaken         = "sso.domain_verified_elsewhere"
	CodeChallengeNotFound   = "sso.challenge_not_found"
	CodeDomainInUse         = "sso.domain_in_use"
	CodeVerifyRateLimited   = "sso.verify_rate_limited"
	CodeDNSUnavailable      = "sso.dns_unavailable"
	CodeConnectionNotFound  = "sso.connection_not_found"
	CodeDomainNotVerified   = "sso.domain_not_verified"
	CodeDomainRouted        = "sso.domain_routed_elsewhere"
	CodeIdPUnavailable      = "sso.idp_unavailable"
	CodeIdPInvalid          = "sso.idp_invalid"
	CodeEmailOutsideDomains = "sso.email_outside_domains"
	CodeRequired            = "sso.required"
	CodeDiscoverRateLimited = "sso.discover_rate_limited"
)

var (
	// ErrForbidden is a member whose role does not manage SSO (owners do).
	ErrForbidden = shared.Forbidden(CodeForbidden, "only the organization's owners manage its domains and SSO connections")
	// ErrDomainNotFound is a domain the organization has not added.
	ErrDomainNotFound = shared.NotFound(CodeDomainNotFound, "domain not found")
	// ErrDomainExists is a domain the organization already added.
	ErrDomainExists = shared.Conflict(CodeDomainExists, "the organization already added this domain")
	// ErrDomainTaken is a domain another organization verified: a domain
	// is verified by at most one organization.
	ErrDomainTaken = shared.Conflict(CodeDomainTaken, "another organization has verified this domain")
	// ErrChallengeNotFound is a verification that did not find the TXT
	// record.
	ErrChallengeNotFound = shared.Conflict(CodeChallengeNotFound, "the TXT record was not found; publish it and try again (DNS changes can take a while to appear)")
	// ErrDomainInUse refuses to remove a domain an SSO connection routes.
	ErrDomainInUse = shared.Conflict(CodeDomainInUse, "an SSO connection uses this domain; remove it from the connection first")
	// ErrDNSUnavailable is a resolver that does not answer.
	ErrDNSUnavailable = shared.Unavailable(CodeDNSUnavailable, "DNS could not be queried; try again shortly")
	// ErrConnectionNotFound is a connection that does not exist or belongs
	// to another organization.
	ErrConnectionNotFound = shared.NotFound(CodeConnectionNotFound, "SSO connection not found")
	// ErrDomainNotVerified is a connection naming a domain the
	// organization has not verified.
	ErrDomainNotVerified = shared.Invalid(CodeDomainNotVerified, "a connection routes only verified domains of its organization",
		map[string][]string{"domains": {"must be verified domains of this organization"}})
	// ErrDomainRouted is a domain another connection already routes.
	ErrDomainRouted = shared.Conflict(CodeDomainRouted, "another SSO connection already routes one of these domains")
	// ErrIdPUnavailable is an identity provider that cannot be reached.
	ErrIdPUnavailable = shared.Unavailable(CodeIdPUnavailable, "the identity provider cannot be reached; try again shortly")
	// ErrIdPInvalid is a discovery or metadata document that is not usable.
	ErrIdPInvalid = shared.Invalid(CodeIdPInvalid, "the identity provider's configuration could not be used", nil)
	// ErrEmailOutsideDomains is a person whose address is not in the
	// connection's domains.
	ErrEmailOutsideDomains = shared.Forbidden(CodeEmailOutsideDomains, "this address is not in a domain of the SSO connection")
	// ErrSSORequired refuses a password or social sign-in for an address an
	// enforced connection covers.
	ErrSSORequired = shared.Forbidden(CodeRequired, "this address signs in through its organization's single sign-on")
)

// Codes and errors of signing in through a connection.
const (
	CodeStateInvalid     = "sso.state_invalid"
	CodeStateExpired     = "sso.state_expired"
	CodeBrowserMismatch  = "sso.browser_mismatch"
	CodeConsentDenied    = "sso.consent_denied"
	CodeProviderError    = "sso.provider_error"
	CodeTokenInvalid     = "sso.token_invalid"
	CodeEmailMissing     = "sso.email_missing"
	CodeAccountExists    = "sso.account_exists"
	CodeStartRateLimited = "sso.rate_limited"
)

var (
	// ErrStateInvalid is a callback whose state was never issued, was
	// already used, or names another connection.
	ErrStateInvalid = shared.BadRequest(CodeStateInvalid, "this sign-in attempt is not valid or was already used; start again")
	// ErrStateExpired is a callback after the flow's lifetime.
	ErrStateExpired = shared.BadRequest(CodeStateExpired, "this sign-in attempt has expired; start again")
	// ErrBrowserMismatch is a callback in another browser than the one
	// that started the flow.
	ErrBrowserMismatch = shared.BadRequest(CodeBrowserMismatch, "this sign-in was started in another browser; start again here")
	// ErrConsentDenied is the provider reporting that the user refused.
	ErrConsentDenied = shared.BadRequest(CodeConsentDenied, "the sign-in was cancelled at the identity provider")
	// ErrProviderError is the provider reporting an error or refusing the
	// code exchange.
	ErrProviderError = shared.BadRequest(CodeProviderError, "the identity provider did not complete the sign-in")
	// ErrTokenInvalid is an ID token that fails verification.
	ErrTokenInvalid = shared.BadRequest(CodeTokenInvalid, "the identity provider's answer could not be verified")
	// ErrEmailMissing is a provider that asserts no email address.
	ErrEmailMissing = shared.Forbidden(CodeEmailMissing, "the identity provider did not assert an email address")
	// ErrAccountExists is a first sign-in whose address belongs to an
	// account that never verified it: whoever registered it first must not
	// receive the provider's sign-ins.
	ErrAccountExists = shared.Conflict(CodeAccountExists,
		"an account with this address exists but never verified it; verify it (or reset its password) first")
)

// ErrOrganizationNotFound answers an organization id that is malformed,
// unknown, or of an organization the caller is not a member of, with the
// organizations context's own code.
var ErrOrganizationNotFound = shared.NotFound("organizations.not_found", "organization not found")

// Codes and errors of a connection that cannot sign anyone in.
const (
	CodeConnectionDisabled = "sso.connection_disabled"
	CodeSignInUnavailable  = "sso.connection_unavailable"
)

var (
	// ErrConnectionDisabled is a connection its owners switched off.
	ErrConnectionDisabled = shared.Forbidden(CodeConnectionDisabled, "this SSO connection is switched off; ask the organization's owners")
	// ErrSignInUnavailable is a sign-in through a connection that does not
	// exist (or no longer does) or that this server cannot use: one answer
	// for all, so an id reveals nothing.
	ErrSignInUnavailable = shared.NotFound(CodeSignInUnavailable, "this SSO connection is not available")
)

// Errors of the identities linked through connections.
var (
	// ErrIdentityNotFound is a subject no account is linked to.
	ErrIdentityNotFound = shared.NotFound("sso.identity_not_found", "no account is linked to this identity")
	// ErrIdentityTaken is a subject already linked (a race of two first
	// sign-ins: one wins).
	ErrIdentityTaken = shared.Conflict("sso.identity_taken", "this identity is already linked to an account")
)
