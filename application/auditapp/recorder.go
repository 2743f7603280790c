package auditapp

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/audit"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/platformport"
)

// Recorder turns other contexts' events into records the sealer chains.
type Recorder struct {
	store auditport.Store
	uow   platformport.UnitOfWork
	clock platformport.Clock
	meter platformport.Meter
	newID func() (uuid.UUID, error)
	// committed runs after each commit that wrote records (the local
	// sealer's wake-up), when set before the first Record.
	committed func()
}

// NewRecorder returns a Recorder appending to store within uow's
// transactions. A nil meter counts nothing.
func NewRecorder(store auditport.Store, uow platformport.UnitOfWork, clock platformport.Clock, meter platformport.Meter) *Recorder {
	if meter == nil {
		meter = platformport.NopMeter{}
	}
	// Version 7 ids grow with time, which keeps the id index's inserts at
	// its right edge.
	return &Recorder{store: store, uow: uow, clock: clock, meter: meter, newID: uuid.NewV7}
}

var _ auditport.Recorder = (*Recorder)(nil)

// AfterCommit makes the recorder call f after every commit that wrote
// records, so a local sealer seals them at once instead of at its next
// tick. Call it while wiring, before the first Record; f must not block.
func (r *Recorder) AfterCommit(f func()) { r.committed = f }

// Record validates every event and writes them, in order, in the
// transaction ctx carries (else in a new one), so a change and its records
// commit or roll back together. Client IP, user agent, request id and the
// client's correlation id come from the RequestMeta in ctx; an event without OccurredAt gets the clock's
// time; an empty ActorType means a user when ActorID is set, else an
// anonymous caller. Details keys that name secrets are dropped (see
// audit.NewDetails). An invalid event (malformed action, unknown actor type,
// organization id that is not a UUID) is an error that should abort the
// caller's unit of work: it is a bug to fix, not a fact to lose.
//
// Records are written unsealed and take no lock shared with other writers;
// the sealer places them in the chain shortly after the commit.
func (r *Recorder) Record(ctx context.Context, events ...auditport.Event) error {
	if len(events) == 0 {
		return nil
	}
	meta := shared.RequestMetaFrom(ctx)
	origin := audit.NewOrigin(meta.ClientIP, meta.UserAgent, meta.RequestID, meta.CorrelationID)
	entries := make([]audit.Entry, 0, len(events))
	for i, ev := range events {
		e, err := r.entry(ev, origin)
		if err != nil {
			return fmt.Errorf("audit event %d (%q): %w", i, ev.Action, err)
		}
		entries = append(entries, e)
	}
	err := r.uow.Transaction(ctx, func(ctx context.Context) error {
		if err := r.store.Insert(ctx, entries); err != nil {
			return err
		}
		r.uow.AfterCommit(ctx, func(context.Context) {
			r.meter.Add(platformport.MetricAuditRecords, "written", len(entries))
			if r.committed != nil {
				r.committed()
			}
		})
		return nil
	})
	if err != nil {
		return fmt.Errorf("record audit events: %w", err)
	}
	return nil
}

func (r *Recorder) entry(ev auditport.Event, origin audit.Origin) (audit.Entry, error) {
	action, err := audit.ParseAction(ev.Action)
	if err != nil {
		return audit.Entry{}, err
	}
	actorType := ev.ActorType
	if actorType == "" {
		actorType = audit.ActorAnonymous
		if ev.ActorID != "" {
			actorType = audit.ActorUser
		}
	}
	actor, err := audit.NewActor(actorType, ev.ActorID)
	if err != nil {
		return audit.Entry{}, err
	}
	target, err := audit.NewTarget(ev.TargetType, ev.TargetID)
	if err != nil {
		return audit.Entry{}, err
	}
	var org shared.OrganizationID
	if ev.OrganizationID != "" {
		if org, err = shared.ParseOrganizationID(ev.OrganizationID); err != nil {
			return audit.Entry{}, err
		}
	}
	details, err := audit.NewDetails(ev.Details)
	if err != nil {
		return audit.Entry{}, err
	}
	at := ev.OccurredAt
	if at.IsZero() {
		at = r.clock.Now()
	}
	id, err := r.newID()
	if err != nil {
		return audit.Entry{}, fmt.Errorf("audit record id: %w", err)
	}
	return audit.NewEntry(audit.EntryParams{
		ID: id, OccurredAt: at, Actor: actor, Action: action, Target: target,
		Organization: org, Origin: origin, Details: details,
	})
}
