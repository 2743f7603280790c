package contact

import (
	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
)

// EnquiryID identifies an enquiry.
type EnquiryID uuid.UUID

// ParseEnquiryID parses a canonical UUID string.
func ParseEnquiryID(s string) (EnquiryID, error) {
	u, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		return EnquiryID{}, shared.Invalid("shared.invalid_id", "not a valid id", map[string][]string{"id": {"must be a UUID"}})
	}
	return EnquiryID(u), nil
}

// String returns the canonical form.
func (id EnquiryID) String() string { return uuid.UUID(id).String() }

// IsZero reports the zero id.
func (id EnquiryID) IsZero() bool { return id == EnquiryID{} }
