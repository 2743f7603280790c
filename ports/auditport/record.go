package auditport

import (
	"context"
	"time"
)

// Actor types.
const (
	ActorUser      = "user"
	ActorSystem    = "system"
	ActorAnonymous = "anonymous"
)

// Event is one security-relevant fact another context reports. Client IP,
// user agent, request id and correlation id are taken from the
// shared.RequestMeta in the context passed to Record, so callers never copy
// them by hand.
//
// Details must never hold a password, token or hash.
type Event struct {
	// Action is a stable dotted name such as "auth.login.failed".
	Action string
	// ActorType is ActorUser, ActorSystem or ActorAnonymous (later: OAuth clients).
	ActorType string
	// ActorID is the acting user's id (empty for system and anonymous).
	ActorID string
	// TargetType and TargetID name what the action was about ("user", id).
	TargetType string
	TargetID   string
	// OrganizationID is set when the event belongs to an organization.
	OrganizationID string
	// Details is a small JSON-able map of facts (reasons, changed fields).
	Details map[string]any
	// OccurredAt is the time of the fact (the caller's clock, UTC).
	OccurredAt time.Time
}

// Recorder appends audit records.
//
// Contract: when ctx carries a store transaction (the caller's unit of
// work), the records are written in it, so the change and its record commit
// or roll back together; otherwise Record writes in its own transaction (for
// failed attempts, which change nothing). Record never updates or deletes.
type Recorder interface {
	Record(ctx context.Context, events ...Event) error
}
