package sessions

import (
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
)

// Event is a fact a Session recorded; the application drains them with
// PullEvents and hands them to audit in the same transaction.
type Event interface {
	// Meta says which session, whose, and when.
	Meta() EventMeta
}

// EventMeta is common to every event.
type EventMeta struct {
	Session uuid.UUID
	User    shared.UserID
	At      time.Time
}

// Meta implements Event.
func (m EventMeta) Meta() EventMeta { return m }

// SessionStarted: a session was opened for its user.
type SessionStarted struct {
	EventMeta
	ExpiresAt time.Time
}

// SessionRefreshed: the user explicitly extended the idle window.
type SessionRefreshed struct {
	EventMeta
	ExpiresAt time.Time
}

// SessionRevoked: the session ended before its expiry. Actor is the user who
// caused it (the owner for logout, revocation, password change and account
// deletion).
type SessionRevoked struct {
	EventMeta
	Reason Reason
	Actor  shared.UserID
}
