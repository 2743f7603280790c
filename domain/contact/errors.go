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
	// ErrDeliveryExists is returned when a delivery with the same id, or a
	// second delivery for the same enquiry, is enqueued.
	ErrDeliveryExists = shared.Conflict("contact.delivery_exists", "a delivery for this enquiry already exists")
	// ErrAlreadySent is returned when a delivery that was sent is changed
	// again.
	ErrAlreadySent = shared.Conflict("contact.delivery_already_sent", "the delivery was already sent")
	// ErrLeaseLost is returned when a worker settles a delivery whose claim
	// it no longer holds (its lease expired and another worker took it).
	ErrLeaseLost = shared.Conflict("contact.delivery_lease_lost", "the delivery is no longer claimed by this worker")
)
