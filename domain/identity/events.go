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

// ProfileUpdated is recorded when the profile changed; Fields lists the
// changed fields ("name").
type ProfileUpdated struct {
	eventBase
	Fields []string
}

// PasswordChanged is recorded when the user chose a new password. (A
// rehash of the same password with stronger parameters records nothing.)
type PasswordChanged struct{ eventBase }

// UserDeleted is recorded when the account is deleted.
type UserDeleted struct{ eventBase }

// EmailVerified is recorded when the account proved it owns its email.
type EmailVerified struct{ eventBase }

// EmailChanged is recorded when the account switched to a new address its
// owner confirmed (the new one is verified with it).
type EmailChanged struct{ eventBase }

// PasswordReset is recorded when a password was set through a mailed reset
// link; EmailVerified tells whether that also verified the email.
type PasswordReset struct {
	eventBase
	EmailVerified bool
}
