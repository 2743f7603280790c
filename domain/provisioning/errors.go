package provisioning

import "github.com/secuird/authy/domain/shared"

// The context's errors. Their codes are public API; the SCIM renderer maps
// them to RFC 7644 scimType values.
var (
	// ErrTokenNotFound is an unknown token id, or one of another
	// organization.
	ErrTokenNotFound = shared.NotFound("provisioning.token_not_found", "SCIM token not found")
	// ErrTokenRevoked refuses revoking a token twice.
	ErrTokenRevoked = shared.Conflict("provisioning.token_revoked", "this SCIM token is already revoked")
	// ErrTooManyTokens bounds the live tokens of an organization.
	ErrTooManyTokens = shared.Conflict("provisioning.too_many_tokens",
		"this organization has the most live SCIM tokens allowed; revoke one first")
	// ErrUnauthenticated answers every SCIM request without a live token of
	// the organization in its path: unknown, revoked, another
	// organization's, or one whose creator is no longer an owner.
	ErrUnauthenticated = shared.Unauthenticated("provisioning.invalid_token", "a valid SCIM bearer token of this organization is required")
	// ErrUserNotFound is an unknown SCIM User id of the organization.
	ErrUserNotFound = shared.NotFound("provisioning.user_not_found", "no such User")
	// ErrUserNameTaken: another User of the organization has this userName.
	ErrUserNameTaken = shared.Conflict("provisioning.uniqueness", "a User with this userName already exists")
	// ErrExternalIDTaken: another User of the organization has this externalId.
	ErrExternalIDTaken = shared.Conflict("provisioning.uniqueness", "a User with this externalId already exists")
	// ErrAccountTaken: the account with this address is already provisioned
	// in the organization under another User.
	ErrAccountTaken = shared.Conflict("provisioning.uniqueness", "the account with this address is already provisioned as another User")
)

// The codes of validation errors: CodeInvalidValue for an attribute whose
// value is not acceptable, CodeInvalidFilter, CodeInvalidPath and
// CodeInvalidSyntax for the protocol's own refusals, CodeMutability for a
// change of an attribute that cannot change.
const (
	CodeInvalidValue  = "provisioning.invalid_value"
	CodeInvalidFilter = "provisioning.invalid_filter"
	CodeInvalidPath   = "provisioning.invalid_path"
	CodeInvalidSyntax = "provisioning.invalid_syntax"
	CodeMutability    = "provisioning.mutability"
	CodeTooMany       = "provisioning.too_many"
)
