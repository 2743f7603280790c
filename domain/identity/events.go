package identity

import (
	"time"

	"github.com/secuird/authy/domain/shared"
)

// Event is a fact about a user that the application hands to audit inside
// the same unit of work as the change.
type Event interface {
	// UserID is the account the event is about.
	UserID() shared.UserID
	// OccurredAt is when it happened.
	OccurredAt() time.Time
}

type eventBase struct {
	user shared.UserID
	at   time.Time
}

func (e eventBase) UserID() shared.UserID { return e.user }
func (e eventBase) OccurredAt() time.Time { return e.at }

// UserRegistered is recorded by NewUser.
type UserRegistered struct{ eventBase }

// ProfileUpdated is recorded when the name or the email changed; Fields
// lists the changed fields ("email", "name") in that order.
type ProfileUpdated struct {
	eventBase
	Fields []string
}

// PasswordChanged is recorded when the user chose a new password. (A
// rehash of the same password with stronger parameters records nothing.)
type PasswordChanged struct{ eventBase }

// UserDeleted is recorded when the account is deleted.
type UserDeleted struct{ eventBase }
