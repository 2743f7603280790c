// Package auditmem is the in-process audit store: the append-only log held
// in memory, with transactions that really roll back. It backs fast tests of
// the audit application and runs the same contract suite as the SQL stores.
//
// It is an outbound adapter: it imports domain/audit and ports, never
// application/ or another adapter family.
package auditmem

import (
	"context"
	"slices"
	"sort"
	"sync"

	"github.com/secuird/authy/domain/audit"
	"github.com/secuird/authy/ports/auditport"
)

// Store is an in-memory auditport.Store and auditport.UnitOfWork.
//
// A transaction takes the single writer slot at its first Append and keeps
// it until it ends, like the chain-head row lock of the SQL stores, so
// concurrent appenders are serialized and the chain never forks. Readers
// see committed records only (plus their own transaction's).
type Store struct {
	mu      sync.RWMutex
	records []audit.Record // committed, in sequence order
	head    audit.ChainHead
	writer  chan struct{}
}

// New returns an empty store.
func New() *Store {
	return &Store{head: audit.Genesis(), writer: make(chan struct{}, 1)}
}

var (
	_ auditport.Store      = (*Store)(nil)
	_ auditport.UnitOfWork = (*Store)(nil)
)

type txKey struct{ s *Store }

type tx struct {
	locked      bool
	head        audit.ChainHead
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
func (s *Store) Transaction(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	if s.txFrom(ctx) != nil {
		return fn(ctx)
	}
	t := &tx{}
	committed := false
	defer func() {
		if t.locked {
			if committed {
				s.mu.Lock()
				s.records = append(s.records, t.pending...)
				s.head = t.head
				s.mu.Unlock()
			}
			<-s.writer
		}
		if committed {
			for _, f := range t.afterCommit {
				f(ctx)
			}
		}
	}()
	if err = fn(context.WithValue(ctx, txKey{s}, t)); err != nil {
		return err
	}
	committed = true
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

// Append implements auditport.Store.
func (s *Store) Append(ctx context.Context, seal func(head audit.ChainHead) ([]audit.Record, error)) error {
	t := s.txFrom(ctx)
	if t == nil {
		return s.Transaction(ctx, func(ctx context.Context) error { return s.Append(ctx, seal) })
	}
	if !t.locked {
		select {
		case s.writer <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		t.locked = true
		s.mu.RLock()
		t.head = s.head
		s.mu.RUnlock()
	}
	recs, err := seal(t.head)
	if err != nil {
		return err
	}
	if !audit.Continues(t.head, recs) {
		return audit.ErrChainMismatch
	}
	t.pending = append(t.pending, recs...)
	t.head = audit.HeadOf(t.head, recs)
	return nil
}

// Head implements auditport.Store.
func (s *Store) Head(ctx context.Context) (audit.ChainHead, error) {
	if t := s.txFrom(ctx); t != nil && t.locked {
		return t.head, nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.head, nil
}

// Scan implements auditport.Store.
func (s *Store) Scan(ctx context.Context, after int64, limit int) ([]audit.Record, error) {
	all := s.visible(ctx)
	i := sort.Search(len(all), func(i int) bool { return all[i].Sequence() > after })
	end := min(len(all), i+max(limit, 0))
	return slices.Clone(all[i:end]), nil
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
	all := s.records[:len(s.records):len(s.records)]
	s.mu.RUnlock()
	if t := s.txFrom(ctx); t != nil && len(t.pending) > 0 {
		all = append(slices.Clone(all), t.pending...)
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
