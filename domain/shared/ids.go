package shared

import "github.com/google/uuid"

// UserID identifies a user across contexts.
type UserID uuid.UUID

// OrganizationID identifies an organization across contexts.
type OrganizationID uuid.UUID

// ParseUserID parses a canonical UUID string.
func ParseUserID(s string) (UserID, error) {
	u, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		return UserID{}, Invalid("shared.invalid_id", "not a valid id", map[string][]string{"id": {"must be a UUID"}})
	}
	return UserID(u), nil
}

// String returns the canonical form.
func (id UserID) String() string { return uuid.UUID(id).String() }

// IsZero reports the zero id.
func (id UserID) IsZero() bool { return id == UserID{} }

// ParseOrganizationID parses a canonical UUID string.
func ParseOrganizationID(s string) (OrganizationID, error) {
	u, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		return OrganizationID{}, Invalid("shared.invalid_id", "not a valid id", map[string][]string{"id": {"must be a UUID"}})
	}
	return OrganizationID(u), nil
}

// String returns the canonical form.
func (id OrganizationID) String() string { return uuid.UUID(id).String() }

// IsZero reports the zero id.
func (id OrganizationID) IsZero() bool { return id == OrganizationID{} }
