package sessionsmem

import (
	"bytes"
	"context"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/sessions"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/sessionsport"
)

// row is a stored session, copied in and out so that no caller aliases it.
type row struct {
	id                uuid.UUID
	user              shared.UserID
	hash              sessions.TokenHash
	method            sessions.AuthMethod
	authTime          time.Time
	createdAt         time.Time
	lastSeenAt        time.Time
	expiresAt         time.Time
	absoluteExpiresAt time.Time
	ip, userAgent     string
	status            sessions.Status
	endedAt           time.Time
	endReason         string
}

func toRow(x *sessions.Session) row {
	return row{
		id: x.ID(), user: x.User(), hash: x.TokenHash(), method: x.Method(), authTime: x.AuthTime(), createdAt: x.CreatedAt(), lastSeenAt: x.LastSeenAt(),
		expiresAt: x.ExpiresAt(), absoluteExpiresAt: x.AbsoluteExpiresAt(), ip: x.IP(), userAgent: x.UserAgent(),
		status: x.Status(), endedAt: x.EndedAt(), endReason: x.EndReason(),
	}
}

func (r row) session() *sessions.Session {
	return sessions.Rehydrate(r.id, r.user, r.hash, r.method, r.authTime, r.createdAt, r.lastSeenAt, r.expiresAt, r.absoluteExpiresAt,
		r.ip, r.userAgent, r.status, r.endedAt, r.endReason)
}

// Store is an in-process sessionsport.Store and sessionsport.UnitOfWork.
// Transactions are serialized (one at a time, like SQLite's single writer),
// and a call made without a transaction is its own one-statement
// transaction, so no caller ever sees another's uncommitted change. A
// failed transaction is undone from an undo log.
type Store struct {
	gate   sync.Mutex // held by the running transaction
	rows   map[uuid.UUID]row
	byHash map[sessions.TokenHash]uuid.UUID
	purges map[sessions.TokenHash]time.Time
}

var (
	_ sessionsport.Store      = (*Store)(nil)
	_ sessionsport.UnitOfWork = (*Store)(nil)
)

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{
		rows:   map[uuid.UUID]row{},
		byHash: map[sessions.TokenHash]uuid.UUID{},
		purges: map[sessions.TokenHash]time.Time{},
	}
}

type txKey struct{ s *Store }

type tx struct {
	undo  []func()
	after []func(context.Context)
}

func (s *Store) txFrom(ctx context.Context) *tx {
	t, _ := ctx.Value(txKey{s}).(*tx)
	return t
}

// Do implements sessionsport.UnitOfWork.
func (s *Store) Do(ctx context.Context, fn func(ctx context.Context) error) error {
	if s.txFrom(ctx) != nil {
		return fn(ctx)
	}
	t := &tx{}
	s.gate.Lock()
	err := fn(context.WithValue(ctx, txKey{s}, t))
	if err != nil {
		for i := len(t.undo) - 1; i >= 0; i-- {
			t.undo[i]()
		}
	}
	s.gate.Unlock()
	if err != nil {
		return err
	}
	for _, f := range t.after {
		f(ctx)
	}
	return nil
}

// AfterCommit implements sessionsport.UnitOfWork.
func (s *Store) AfterCommit(ctx context.Context, f func(ctx context.Context)) {
	if t := s.txFrom(ctx); t != nil {
		t.after = append(t.after, f)
		return
	}
	f(ctx)
}

// run runs op inside ctx's transaction, or in a transaction of its own.
func (s *Store) run(ctx context.Context, op func(t *tx) error) error {
	if t := s.txFrom(ctx); t != nil {
		return op(t)
	}
	return s.Do(ctx, func(ctx context.Context) error { return op(s.txFrom(ctx)) })
}

func (s *Store) put(t *tx, r row) {
	old, existed := s.rows[r.id]
	t.undo = append(t.undo, func() {
		if existed {
			s.rows[r.id] = old
			s.byHash[old.hash] = old.id
		} else {
			delete(s.rows, r.id)
			delete(s.byHash, r.hash)
		}
	})
	s.rows[r.id] = r
	s.byHash[r.hash] = r.id
}

// Create implements sessionsport.Store.
func (s *Store) Create(ctx context.Context, x *sessions.Session) error {
	return s.run(ctx, func(t *tx) error {
		if _, dup := s.rows[x.ID()]; dup {
			return sessions.ErrDuplicate
		}
		if _, dup := s.byHash[x.TokenHash()]; dup {
			return sessions.ErrDuplicate
		}
		s.put(t, toRow(x))
		return nil
	})
}

// Get implements sessionsport.Store.
func (s *Store) Get(ctx context.Context, id uuid.UUID) (*sessions.Session, error) {
	var out *sessions.Session
	err := s.run(ctx, func(*tx) error {
		r, ok := s.rows[id]
		if !ok {
			return sessions.ErrNotFound
		}
		out = r.session()
		return nil
	})
	return out, err
}

// ByTokenHash implements sessionsport.Store.
func (s *Store) ByTokenHash(ctx context.Context, h sessions.TokenHash) (*sessions.Session, error) {
	var out *sessions.Session
	err := s.run(ctx, func(*tx) error {
		id, ok := s.byHash[h]
		if !ok {
			return sessions.ErrNotFound
		}
		out = s.rows[id].session()
		return nil
	})
	return out, err
}

// Update implements sessionsport.Store.
func (s *Store) Update(ctx context.Context, id uuid.UUID, fn func(*sessions.Session) error) error {
	return s.run(ctx, func(t *tx) error {
		r, ok := s.rows[id]
		if !ok {
			return sessions.ErrNotFound
		}
		x := r.session()
		if err := fn(x); err != nil {
			return err
		}
		s.put(t, toRow(x))
		return nil
	})
}

// UpdateActiveOf implements sessionsport.Store.
func (s *Store) UpdateActiveOf(ctx context.Context, user shared.UserID, fn func([]*sessions.Session) error) error {
	return s.run(ctx, func(t *tx) error {
		var list []*sessions.Session
		for _, r := range s.sorted() {
			if r.user == user && r.status == sessions.StatusActive {
				list = append(list, r.session())
			}
		}
		if err := fn(list); err != nil {
			return err
		}
		for _, x := range list {
			s.put(t, toRow(x))
		}
		return nil
	})
}

// Touch implements sessionsport.Store.
func (s *Store) Touch(ctx context.Context, id uuid.UUID, lastSeenAt, expiresAt time.Time) (bool, error) {
	var done bool
	err := s.run(ctx, func(t *tx) error {
		r, ok := s.rows[id]
		if !ok || r.status != sessions.StatusActive {
			return nil
		}
		r.lastSeenAt, r.expiresAt = micro(lastSeenAt), micro(expiresAt)
		s.put(t, r)
		done = true
		return nil
	})
	return done, err
}

// ListActive implements sessionsport.Store.
func (s *Store) ListActive(ctx context.Context, user shared.UserID, notExpiredBefore time.Time, q sessionsport.PageQuery) ([]*sessions.Session, error) {
	var out []*sessions.Session
	err := s.run(ctx, func(*tx) error {
		for _, r := range s.sorted() {
			if r.user != user || r.status != sessions.StatusActive || !r.expiresAt.After(notExpiredBefore) {
				continue
			}
			if !q.BeforeCreatedAt.IsZero() && !olderThan(r, q.BeforeCreatedAt, q.BeforeID) {
				continue
			}
			if q.Limit > 0 && len(out) == q.Limit {
				break
			}
			out = append(out, r.session())
		}
		return nil
	})
	return out, err
}

// ExpireBatch implements sessionsport.Store.
func (s *Store) ExpireBatch(ctx context.Context, before, now time.Time, limit int) (int, error) {
	var n int
	err := s.run(ctx, func(t *tx) error {
		var due []row
		for _, r := range s.rows {
			if r.status == sessions.StatusActive && !r.expiresAt.After(before) {
				due = append(due, r)
			}
		}
		sort.Slice(due, func(i, j int) bool { return due[i].expiresAt.Before(due[j].expiresAt) })
		if len(due) > limit {
			due = due[:limit]
		}
		for _, r := range due {
			r.status, r.endedAt, r.endReason = sessions.StatusExpired, micro(now), sessions.StatusExpired.String()
			s.put(t, r)
		}
		n = len(due)
		return nil
	})
	return n, err
}

// AddPurges implements sessionsport.Store.
func (s *Store) AddPurges(ctx context.Context, ps []sessionsport.Purge) error {
	return s.run(ctx, func(t *tx) error {
		for _, p := range ps {
			old, existed := s.purges[p.Hash]
			t.undo = append(t.undo, func() {
				if existed {
					s.purges[p.Hash] = old
				} else {
					delete(s.purges, p.Hash)
				}
			})
			s.purges[p.Hash] = micro(p.Until)
		}
		return nil
	})
}

// PendingPurges implements sessionsport.Store.
func (s *Store) PendingPurges(ctx context.Context, limit int) ([]sessionsport.Purge, error) {
	var out []sessionsport.Purge
	err := s.run(ctx, func(*tx) error {
		for h, until := range s.purges {
			out = append(out, sessionsport.Purge{Hash: h, Until: until})
		}
		sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i].Hash.Bytes(), out[j].Hash.Bytes()) < 0 })
		if limit > 0 && len(out) > limit {
			out = out[:limit]
		}
		return nil
	})
	return out, err
}

// DeletePurges implements sessionsport.Store.
func (s *Store) DeletePurges(ctx context.Context, hs []sessions.TokenHash) error {
	return s.run(ctx, func(t *tx) error {
		for _, h := range hs {
			old, existed := s.purges[h]
			if !existed {
				continue
			}
			t.undo = append(t.undo, func() { s.purges[h] = old })
			delete(s.purges, h)
		}
		return nil
	})
}

// sorted returns the rows newest first.
func (s *Store) sorted() []row {
	out := make([]row, 0, len(s.rows))
	for _, r := range s.rows {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return olderThan(out[j], out[i].createdAt, out[i].id) })
	return out
}

// olderThan reports whether r sorts after (at, id) in (created_at DESC, id
// DESC) order.
func olderThan(r row, at time.Time, id uuid.UUID) bool {
	if !r.createdAt.Equal(at) {
		return r.createdAt.Before(at)
	}
	return bytes.Compare(r.id[:], id[:]) < 0
}

func micro(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
