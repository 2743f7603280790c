package audit

import "github.com/secuird/authy/domain/shared"

// CodeInvalid is the code of validation errors of this context; it is
// public API.
const CodeInvalid = "audit.invalid"

// The context's errors. Their codes are public API.
var (
	// ErrInvalidCursor is a pagination cursor this server did not issue.
	ErrInvalidCursor = shared.Invalid("audit.invalid_cursor", "the request has invalid fields",
		map[string][]string{"cursor": {"is not a cursor this server issued"}})
	// ErrDetailsTooLarge refuses details whose JSON exceeds MaxDetailsBytes.
	ErrDetailsTooLarge = shared.Invalid("audit.details_too_large", "audit details are too large",
		map[string][]string{"details": {"must be at most 4096 bytes of JSON"}})
	// ErrChainMismatch is a sealed batch that does not continue the chain
	// head a store holds (a bug or a concurrent writer that was not
	// serialized).
	ErrChainMismatch = shared.Conflict("audit.chain_mismatch", "the records do not continue the audit chain")
	// ErrAlreadySealed is a record handed to the sealer that has its place
	// in the chain already.
	ErrAlreadySealed = shared.Conflict("audit.already_sealed", "the audit record is sealed already")
	// ErrSealerBusy is a sealing batch that found another sealer holding
	// the chain head: that one seals, this one tries again later.
	ErrSealerBusy = shared.Conflict("audit.sealer_busy", "another sealer holds the audit chain head")
)

func invalid(field, reason string) error {
	return shared.Invalid(CodeInvalid, "invalid audit record", map[string][]string{field: {reason}})
}

// Errors of the read API.
var (
	// ErrOrganizationNotFound answers an organization that does not exist,
	// a malformed id and one the caller is not a member of alike. Its code is
	// the organizations context's, so the answer is the same as on every
	// other organization route.
	ErrOrganizationNotFound = shared.NotFound("organizations.not_found", "organization not found")
	// ErrForbidden is a member whose role may not read the organization's log.
	ErrForbidden = shared.Forbidden("audit.forbidden", "only owners and admins can read the organization's audit log")
)
