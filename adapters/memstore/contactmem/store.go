// Package contactmem implements contactport.Store in process memory, for
// fast tests and anything that runs without a database. It imports only the
// contact domain, its ports and the standard library.
//
// A unit of work holds the store's lock for its whole run (one writer at a
// time, as in SQLite) and buffers its writes in an overlay that is merged on
// success and dropped on error, so a failed closure really rolls back.
package contactmem

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/secuird/authy/domain/contact"
	"github.com/secuird/authy/ports/contactport"
)

// Store is the in-memory contactport.Store.
type Store struct {
	mu        sync.Mutex
	committed *state
}

// NewStore returns an empty store.
func NewStore() *Store { return &Store{committed: newState(nil)} }

var _ contactport.Store = (*Store)(nil)

type txKey struct{ s *Store }

type deliveryRow struct {
	state       contact.DeliveryState
	owner       string
	lockedUntil time.Time
}

// state is a layer of rows; a unit of work's layer reads through to its
// parent and is merged into it on commit.
type state struct {
	parent     *state
	enquiries  map[contact.EnquiryID]enquiryRow
	deliveries map[contact.DeliveryID]deliveryRow
	byEnquiry  map[contact.EnquiryID]contact.DeliveryID
}

type enquiryRow struct {
	id                                   contact.EnquiryID
	typ                                  contact.EnquiryType
	name, email, company, phone, message string
	receivedAt                           time.Time
}

func newState(parent *state) *state {
	return &state{
		parent:     parent,
		enquiries:  map[contact.EnquiryID]enquiryRow{},
		deliveries: map[contact.DeliveryID]deliveryRow{},
		byEnquiry:  map[contact.EnquiryID]contact.DeliveryID{},
	}
}

func (st *state) enquiry(id contact.EnquiryID) (enquiryRow, bool) {
	for l := st; l != nil; l = l.parent {
		if r, ok := l.enquiries[id]; ok {
			return r, true
		}
	}
	return enquiryRow{}, false
}

func (st *state) delivery(id contact.DeliveryID) (deliveryRow, bool) {
	for l := st; l != nil; l = l.parent {
		if r, ok := l.deliveries[id]; ok {
			return r, true
		}
	}
	return deliveryRow{}, false
}

func (st *state) deliveryOf(id contact.EnquiryID) (contact.DeliveryID, bool) {
	for l := st; l != nil; l = l.parent {
		if d, ok := l.byEnquiry[id]; ok {
			return d, true
		}
	}
	return contact.DeliveryID{}, false
}

func (st *state) allDeliveries() []deliveryRow {
	seen := map[contact.DeliveryID]bool{}
	var out []deliveryRow
	for l := st; l != nil; l = l.parent {
		for id, r := range l.deliveries {
			if !seen[id] {
				seen[id] = true
				out = append(out, r)
			}
		}
	}
	return out
}

func (st *state) mergeInto(parent *state) {
	for k, v := range st.enquiries {
		parent.enquiries[k] = v
	}
	for k, v := range st.deliveries {
		parent.deliveries[k] = v
	}
	for k, v := range st.byEnquiry {
		parent.byEnquiry[k] = v
	}
}

// Do implements contactport.Store. A ctx that already carries one of this
// store's units of work joins it.
func (s *Store) Do(ctx context.Context, fn func(ctx context.Context, r contactport.TxRepos) error) error {
	repos := contactport.TxRepos{Enquiries: enquiries{s}, Outbox: outbox{s}}
	if _, ok := ctx.Value(txKey{s}).(*state); ok {
		return fn(ctx, repos)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tx := newState(s.committed)
	if err := fn(context.WithValue(ctx, txKey{s}, tx), repos); err != nil {
		return err
	}
	tx.mergeInto(s.committed)
	return nil
}

// Enquiries implements contactport.Store.
func (s *Store) Enquiries() contactport.EnquiryRepository { return enquiries{s} }

// Outbox implements contactport.Store.
func (s *Store) Outbox() contactport.Outbox { return outbox{s} }

// with runs fn on the unit of work carried by ctx (whose lock Do already
// holds) or, outside one, on the committed state under the lock.
func (s *Store) with(ctx context.Context, fn func(st *state) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if tx, ok := ctx.Value(txKey{s}).(*state); ok {
		return fn(tx)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return fn(s.committed)
}

type enquiries struct{ s *Store }

func (r enquiries) Add(ctx context.Context, e *contact.Enquiry) error {
	return r.s.with(ctx, func(st *state) error {
		if _, ok := st.enquiry(e.ID()); ok {
			return contact.ErrEnquiryExists
		}
		st.enquiries[e.ID()] = enquiryRow{
			id: e.ID(), typ: e.Type(), name: e.Name(), email: e.Email(), company: e.Company(),
			phone: e.Phone(), message: e.Message(), receivedAt: e.ReceivedAt().Truncate(time.Microsecond),
		}
		return nil
	})
}

func (r enquiries) Get(ctx context.Context, id contact.EnquiryID) (*contact.Enquiry, error) {
	var out *contact.Enquiry
	err := r.s.with(ctx, func(st *state) error {
		row, ok := st.enquiry(id)
		if !ok {
			return contact.ErrEnquiryNotFound
		}
		out = contact.RehydrateEnquiry(row.id, row.typ, row.name, row.email, row.company, row.phone, row.message, row.receivedAt)
		return nil
	})
	return out, err
}

type outbox struct{ s *Store }

func (o outbox) Enqueue(ctx context.Context, d *contact.Delivery) error {
	return o.s.with(ctx, func(st *state) error {
		if _, ok := st.delivery(d.ID()); ok {
			return contact.ErrDeliveryExists
		}
		if _, ok := st.deliveryOf(d.EnquiryID()); ok {
			return contact.ErrDeliveryExists
		}
		st.deliveries[d.ID()] = deliveryRow{state: truncate(d.State())}
		st.byEnquiry[d.EnquiryID()] = d.ID()
		return nil
	})
}

func (o outbox) Claim(ctx context.Context, req contactport.ClaimRequest) ([]*contact.Delivery, error) {
	var out []*contact.Delivery
	err := o.s.with(ctx, func(st *state) error {
		var due []deliveryRow
		for _, r := range st.allDeliveries() {
			if r.state.SentAt.IsZero() && !req.Now.Before(r.state.NextAttemptAt) && !req.Now.Before(r.lockedUntil) {
				due = append(due, r)
			}
		}
		sort.Slice(due, func(i, j int) bool {
			a, b := due[i].state, due[j].state
			if !a.NextAttemptAt.Equal(b.NextAttemptAt) {
				return a.NextAttemptAt.Before(b.NextAttemptAt)
			}
			return a.ID.String() < b.ID.String()
		})
		if req.Limit > 0 && len(due) > req.Limit {
			due = due[:req.Limit]
		}
		for _, r := range due {
			r.owner = req.Owner
			r.lockedUntil = req.Now.Add(req.Lease)
			st.deliveries[r.state.ID] = r
			out = append(out, contact.RehydrateDelivery(r.state))
		}
		return nil
	})
	return out, err
}

func (o outbox) Settle(ctx context.Context, owner string, d *contact.Delivery) error {
	return o.s.with(ctx, func(st *state) error {
		r, ok := st.delivery(d.ID())
		if !ok || r.owner != owner || owner == "" || !r.state.SentAt.IsZero() {
			return contact.ErrLeaseLost
		}
		st.deliveries[d.ID()] = deliveryRow{state: truncate(d.State())}
		return nil
	})
}

func (o outbox) ByEnquiry(ctx context.Context, id contact.EnquiryID) (*contact.Delivery, error) {
	var out *contact.Delivery
	err := o.s.with(ctx, func(st *state) error {
		did, ok := st.deliveryOf(id)
		if !ok {
			return contact.ErrEnquiryNotFound
		}
		r, _ := st.delivery(did)
		out = contact.RehydrateDelivery(r.state)
		return nil
	})
	return out, err
}

// truncate keeps times to the microsecond, as the SQL stores do, so tests
// behave the same on every backend.
func truncate(s contact.DeliveryState) contact.DeliveryState {
	s.CreatedAt = s.CreatedAt.Truncate(time.Microsecond)
	s.NextAttemptAt = s.NextAttemptAt.Truncate(time.Microsecond)
	s.SentAt = s.SentAt.Truncate(time.Microsecond)
	return s
}
