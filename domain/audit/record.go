package audit

import (
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
)

// Entry is one validated fact, not yet placed in the chain.
//
// Invariants: a non-zero id, action and actor; a UTC time truncated to
// microseconds (what every store keeps exactly, so the hash survives a
// round trip).
type Entry struct {
	id           uuid.UUID
	occurredAt   time.Time
	actor        Actor
	action       Action
	target       Target
	organization shared.OrganizationID
	origin       Origin
	details      Details
}

// EntryParams are the parts of a new Entry; the zero Organization means
// "belongs to no organization".
type EntryParams struct {
	ID           uuid.UUID
	OccurredAt   time.Time
	Actor        Actor
	Action       Action
	Target       Target
	Organization shared.OrganizationID
	Origin       Origin
	Details      Details
}

// NewEntry checks the invariants of p.
func NewEntry(p EntryParams) (Entry, error) {
	switch {
	case p.ID == uuid.Nil:
		return Entry{}, invalid("id", "is required")
	case p.OccurredAt.IsZero():
		return Entry{}, invalid("occurred_at", "is required")
	case p.Actor.IsZero():
		return Entry{}, invalid("actor_type", "is required")
	case p.Action.IsZero():
		return Entry{}, invalid("action", "is required")
	}
	details := p.Details
	if len(details.raw) == 0 {
		details = Details{raw: []byte("{}")}
	}
	return Entry{
		id:           p.ID,
		occurredAt:   p.OccurredAt.UTC().Truncate(time.Microsecond),
		actor:        p.Actor,
		action:       p.Action,
		target:       p.Target,
		organization: p.Organization,
		origin:       p.Origin,
		details:      details,
	}, nil
}

// ID identifies the entry.
func (e Entry) ID() uuid.UUID { return e.id }

// OccurredAt is when the fact happened (UTC, microseconds).
func (e Entry) OccurredAt() time.Time { return e.occurredAt }

// Actor is who caused it.
func (e Entry) Actor() Actor { return e.actor }

// Action is what happened.
func (e Entry) Action() Action { return e.action }

// Target is what it was about.
func (e Entry) Target() Target { return e.target }

// Organization is the organization it belongs to (zero for none).
func (e Entry) Organization() shared.OrganizationID { return e.organization }

// Origin is where the request came from.
func (e Entry) Origin() Origin { return e.origin }

// Details are the attached facts.
func (e Entry) Details() Details { return e.details }

// Record is an entry as the log holds it: unsealed from the commit of the
// transaction that wrote it until the sealer places it in the chain, sealed
// (sequence, previous hash, hash) ever after. A sealed record never changes;
// RehydrateRecord loads stored ones exactly as stored (even when tampered
// with, so that verification can see it).
type Record struct {
	state RecordState
}

// RecordState is a record's stored form: what adapters persist and load,
// and exactly what the hash covers.
type RecordState struct {
	ID uuid.UUID
	// Sequence is the record's place in the chain, from 1; 0 while the
	// record is unsealed.
	Sequence int64
	// Pos is where the store placed the record when it was written:
	// unique and growing with inserts (not with commits). It breaks ties in
	// list order and is not hashed: it orders listings, nothing else.
	Pos            int64
	OccurredAt     time.Time
	ActorType      string
	ActorID        string
	Action         string
	TargetType     string
	TargetID       string
	OrganizationID string
	ClientIP       string
	UserAgent      string
	RequestID      string
	// CorrelationID is the client's id of the request ("" when none). It
	// is hashed only when set, so records from before it existed verify.
	CorrelationID string
	Details       []byte
	// PrevHash and Hash are "" while the record is unsealed.
	PrevHash string
	Hash     string
}

// RehydrateRecord builds a Record from stored state without validating it.
func RehydrateRecord(s RecordState) Record {
	s.OccurredAt = s.OccurredAt.UTC()
	s.Details = append([]byte(nil), s.Details...)
	return Record{state: s}
}

// State returns the stored form (a copy).
func (r Record) State() RecordState {
	s := r.state
	s.Details = append([]byte(nil), s.Details...)
	return s
}

// ID identifies the record.
func (r Record) ID() uuid.UUID { return r.state.ID }

// Sequence is the record's position in the global chain, from 1 (0 while
// unsealed).
func (r Record) Sequence() int64 { return r.state.Sequence }

// Sealed reports whether the record has its place in the chain.
func (r Record) Sealed() bool { return r.state.Sequence != 0 }

// Pos is the store's insert position of the record (see RecordState.Pos).
func (r Record) Pos() int64 { return r.state.Pos }

// OccurredAt is when the fact happened (UTC, microseconds).
func (r Record) OccurredAt() time.Time { return r.state.OccurredAt }

// Action is the dotted action name.
func (r Record) Action() string { return r.state.Action }

// PrevHash is the hash of the record before this one (GenesisHash for the first).
func (r Record) PrevHash() string { return r.state.PrevHash }

// Hash is the record's own hash as stored.
func (r Record) Hash() string { return r.state.Hash }

// Position is where the record sits in list order.
func (r Record) Position() Position {
	return Position{OccurredAt: r.state.OccurredAt, Pos: r.state.Pos}
}

// ComputeHash recomputes the hash over the record's current content.
func (r Record) ComputeHash() string { return computeHash(r.state) }

// Unsealed returns the entry as the record a store writes in the business
// transaction: no sequence and no links yet (the store assigns Pos). The
// sealer places it in the chain once it has committed.
func (e Entry) Unsealed() Record {
	org := ""
	if !e.organization.IsZero() {
		org = e.organization.String()
	}
	s := RecordState{
		ID:             e.id,
		OccurredAt:     e.occurredAt,
		ActorType:      e.actor.typ,
		ActorID:        e.actor.id,
		Action:         e.action.name,
		TargetType:     e.target.typ,
		TargetID:       e.target.id,
		OrganizationID: org,
		ClientIP:       e.origin.clientIP,
		UserAgent:      e.origin.userAgent,
		RequestID:      e.origin.requestID,
		CorrelationID:  e.origin.correlationID,
		Details:        e.details.JSON(),
	}
	return Record{state: s}
}
