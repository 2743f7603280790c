package mail

import (
	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
)

// MessageID identifies one message in the outbox.
type MessageID uuid.UUID

// ParseMessageID parses a canonical UUID string.
func ParseMessageID(s string) (MessageID, error) {
	u, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		return MessageID{}, shared.Invalid("shared.invalid_id", "not a valid id", map[string][]string{"id": {"must be a UUID"}})
	}
	return MessageID(u), nil
}

// String returns the canonical form.
func (id MessageID) String() string { return uuid.UUID(id).String() }

// IsZero reports the zero id.
func (id MessageID) IsZero() bool { return id == MessageID{} }
