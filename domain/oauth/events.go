package oauth

import (
	"time"

	"github.com/secuird/authy/domain/shared"
)

// Event is a fact a Client recorded; the application drains them with
// PullEvents and hands them to audit in the same transaction.
type Event interface {
	Meta() EventMeta
}

// EventMeta is common to every event. Actor is the user who caused it, zero
// for the system (the seed, an import).
type EventMeta struct {
	Organization shared.OrganizationID
	Client       ClientID
	Actor        shared.UserID
	At           time.Time
}

// Meta implements Event.
func (m EventMeta) Meta() EventMeta { return m }

// ClientCreated: a client was registered.
type ClientCreated struct {
	EventMeta
	Name       string
	Public     bool
	GrantTypes []string
	FirstParty bool
}

// ClientChanged lists the registration fields that changed.
type ClientChanged struct {
	EventMeta
	Fields []string
}

// ClientSecretRotated: a new secret replaced the current one, which stays
// valid until PreviousValidUntil (zero: not at all).
type ClientSecretRotated struct {
	EventMeta
	PreviousValidUntil time.Time
}

// ClientDeleted: the client is gone with its tokens.
type ClientDeleted struct {
	EventMeta
	Name string
}
