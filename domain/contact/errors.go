package contact

import "github.com/secuird/authy/domain/shared"

// Errors of the contact context. Their codes are public API.
var (
	// ErrInvalidEnquiry is returned with per-field reasons when a submitted
	// enquiry breaks a rule.
	ErrInvalidEnquiry = shared.Invalid("contact.invalid_enquiry", "the request has invalid fields", nil)
	// ErrEnquiryNotFound is returned when no enquiry has the id.
	ErrEnquiryNotFound = shared.NotFound("contact.enquiry_not_found", "enquiry not found")
	// ErrEnquiryExists is returned when an enquiry with the same id is
	// already stored.
	ErrEnquiryExists = shared.Conflict("contact.enquiry_exists", "an enquiry with this id already exists")
)
