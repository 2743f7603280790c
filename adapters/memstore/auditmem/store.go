// Package auditmem is the in-process audit store: the append-only log held
// in memory, with transactions that really roll back. It backs fast tests of
// the audit application and runs the same contract suite as the SQL stores.
//
// Like a database sequence, it hands out insert positions when a record is
// written, not when it commits, so records commit out of position order
// just as they do on PostgreSQL, and the sealer's handling of that is
// exercised here too.
//
// It is an outbound adapter: it imports domain/audit and ports, never
// application/ or another adapter family.
package auditmem

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sort"
	"sync"

	"github.com/secuird/authy/domain/audit"
	"github.com/secuird/authy/ports/auditport"
)

// Store is an in-memory auditport.Store and auditport.UnitOfWork.
//
// Writers buffer their records in their transaction and publish them at
// commit; nothing serializes them. One sealer at a time holds the sealing
// slot (a second gets audit.ErrSealerBusy), and a batch becomes visible
// whole, only if it completes. Readers see committed records only (plus
// their own transaction's).
type Store struct {
	mu      sync.RWMutex
	records []audit.Record // committed, in commit order
	chain   []int          // indexes into records of the sealed ones, in sequence order
	head    audit.ChainHead
	nextPos int64
	sealing sync.Mutex
}

// New returns an empty store.
func New() *Store {
	return &Store{head: audit.Genesis()}
}

var (
	_ auditport.Store      = (*Store)(nil)
	_ auditport.UnitOfWork = (*Store)(nil)
)

type txKey struct{ s *Store }

type tx struct {
	pending     []audit.Record
	afterCommit []func(context.Context)
}

func (s *Store) txFrom(ctx context.Context) *tx {
	t, _ := ctx.Value(txKey{s}).(*tx)
	return t
}

// Transaction implements auditport.UnitOfWork: fn joins the transaction ctx
// carries, else runs in a new one that commits when fn returns nil and is
// discarded otherwise (also when fn panics).
func (s *Store) Transaction(ctx context.Context, fn func(ctx context.Context) error) error {
	if s.txFrom(ctx) != nil {
		return fn(ctx)
	}
	t := &tx{}
	if err := fn(context.WithValue(ctx, txKey{s}, t)); err != nil {
		return err
	}
	if len(t.pending) > 0 {
		s.mu.Lock()
		s.records = append(s.records, t.pending...)
		s.mu.Unlock()
	}
	for _, f := range t.afterCommit {
		f(ctx)
	}
	return nil
}

// AfterCommit implements auditport.UnitOfWork.
func (s *Store) AfterCommit(ctx context.Context, f func(ctx context.Context)) {
	if t := s.txFrom(ctx); t != nil {
		t.afterCommit = append(t.afterCommit, f)
		return
	}
	f(ctx)
}

// Insert implements auditport.Store.
func (s *Store) Insert(ctx context.Context, entries []audit.Entry) error {
	t := s.txFrom(ctx)
	if t == nil {
		return s.Transaction(ctx, func(ctx context.Context) error { return s.Insert(ctx, entries) })
	}
	s.mu.Lock()
	for _, e := range entries {
		s.nextPos++
		st := e.Unsealed().State()
		st.Pos = s.nextPos
		t.pending = append(t.pending, audit.RehydrateRecord(st))
	}
	s.mu.Unlock()
	return nil
}

// Seal implements auditport.Store.
func (s *Store) Seal(ctx context.Context, limit int, seal func(head audit.ChainHead, pending []audit.Record) ([]audit.Record, error)) (int, error) {
	if s.txFrom(ctx) != nil {
		return 0, errors.New("seal audit records: must run in a transaction of its own")
	}
	if !s.sealing.TryLock() {
		return 0, audit.ErrSealerBusy
	}
	defer s.sealing.Unlock()
	if limit <= 0 {
		return 0, nil
	}
	s.mu.RLock()
	head := s.head
	var idx []int
	for i, r := range s.records {
		if !r.Sealed() {
			idx = append(idx, i)
		}
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(s.records[a].Pos(), s.records[b].Pos()) })
	if len(idx) > limit {
		idx = idx[:limit]
	}
	pending := make([]audit.Record, 0, len(idx))
	for _, i := range idx {
		pending = append(pending, s.records[i])
	}
	s.mu.RUnlock()
	if len(pending) == 0 {
		return 0, nil
	}
	recs, err := seal(head, pending)
	if err != nil {
		return 0, err
	}
	// A cancelled sealer is a rolled-back transaction: nothing is applied.
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if !audit.SealsPending(head, pending, recs) {
		return 0, audit.ErrChainMismatch
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.head != head {
		return 0, audit.ErrChainMismatch
	}
	for k, i := range idx {
		s.records[i] = recs[k]
		s.chain = append(s.chain, i)
	}
	s.head = audit.HeadOf(head, recs)
	return len(recs), nil
}

// Head implements auditport.Store.
func (s *Store) Head(context.Context) (audit.ChainHead, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.head, nil
}

// Backlog implements auditport.Store.
func (s *Store) Backlog(context.Context) (auditport.Backlog, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var b auditport.Backlog
	for _, r := range s.records {
		if r.Sealed() {
			continue
		}
		if b.Count == 0 || r.OccurredAt().Before(b.Oldest) {
			b.Oldest = r.OccurredAt()
		}
		b.Count++
	}
	return b, nil
}

// Strays implements auditport.Store: a record's unsealed state is its own
// here, so the sealer reaches every record.
func (s *Store) Strays(context.Context) (auditport.Strays, error) { return auditport.Strays{}, nil }

// Scan implements auditport.Store.
func (s *Store) Scan(_ context.Context, after int64, limit int) ([]audit.Record, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i := sort.Search(len(s.chain), func(i int) bool { return s.records[s.chain[i]].Sequence() > after })
	end := min(len(s.chain), i+max(limit, 0))
	out := make([]audit.Record, 0, end-i)
	for _, k := range s.chain[i:end] {
		out = append(out, s.records[k])
	}
	return out, nil
}

// List implements auditport.Store.
func (s *Store) List(ctx context.Context, q auditport.Query) ([]audit.Record, error) {
	var out []audit.Record
	for _, r := range s.visible(ctx) {
		if matches(r, q) {
			out = append(out, r)
		}
	}
	newest := q.Order == auditport.NewestFirst
	sort.Slice(out, func(i, j int) bool {
		if newest {
			return out[j].Position().Before(out[i].Position())
		}
		return out[i].Position().Before(out[j].Position())
	})
	if len(out) > q.Limit {
		out = out[:max(q.Limit, 0)]
	}
	return out, nil
}

func (s *Store) visible(ctx context.Context) []audit.Record {
	s.mu.RLock()
	all := slices.Clone(s.records)
	s.mu.RUnlock()
	if t := s.txFrom(ctx); t != nil {
		all = append(all, t.pending...)
	}
	return all
}

func matches(r audit.Record, q auditport.Query) bool {
	s := r.State()
	switch {
	case !q.Organization.IsZero() && s.OrganizationID != q.Organization.String():
		return false
	case !q.Subject.IsZero() && !involves(s, q.Subject.String()):
		return false
	case !q.Action.Matches(s.Action):
		return false
	case q.ActorID != "" && s.ActorID != q.ActorID:
		return false
	case !q.From.IsZero() && s.OccurredAt.Before(q.From):
		return false
	case !q.To.IsZero() && !s.OccurredAt.Before(q.To):
		return false
	case q.After != nil && q.Order == auditport.NewestFirst && !r.Position().Before(*q.After):
		return false
	case q.After != nil && q.Order == auditport.OldestFirst && !q.After.Before(r.Position()):
		return false
	}
	return true
}

func involves(s audit.RecordState, user string) bool {
	return (s.ActorType == audit.ActorUser && s.ActorID == user) || (s.TargetType == audit.TargetUser && s.TargetID == user)
}
