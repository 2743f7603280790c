package oauth

import "github.com/secuird/authy/domain/shared"

// CodeInvalid is the code of this context's validation errors.
const CodeInvalid = "oauth.invalid"

// The context's errors. Their codes are public API.
var (
	// ErrClientNotFound answers an unknown or deleted client, and a client
	// of another organization, alike.
	ErrClientNotFound = shared.NotFound("oauth.client_not_found", "OAuth client not found")
	// ErrOrganizationNotFound answers an organization the caller is not a
	// member of, like every organization route.
	ErrOrganizationNotFound = shared.NotFound("organizations.not_found", "organization not found")
	// ErrForbidden is a member whose role does not allow managing clients.
	ErrForbidden = shared.Forbidden("oauth.forbidden", "only owners and admins of the organization manage its OAuth clients")
	// ErrClientIDTaken refuses a client id another client has.
	ErrClientIDTaken = shared.Conflict("oauth.client_id_taken", "this client id is already taken")
	// ErrPublicClientSecret refuses rotating the secret of a public client,
	// which has none.
	ErrPublicClientSecret = shared.Conflict("oauth.public_client", "a public client has no secret")
	// ErrKeyExists is a key generation another instance created first.
	ErrKeyExists = shared.Conflict("oauth.key_exists", "a key of this kind and generation exists")
	// ErrAccessDenied is a user who denied a client on the consent page.
	ErrAccessDenied = shared.Forbidden("oauth.access_denied", "the user denied the request")
)
