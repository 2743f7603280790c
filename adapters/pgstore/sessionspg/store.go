// Package sessionspg is the GORM adapter of sessionsport's Store and
// UnitOfWork, on PostgreSQL and on the embedded SQLite file alike
// (migrations/*/00002_create_sessions.sql). Every query goes through
// pgstore.DB.Conn(ctx), so the store joins the unit of work its caller
// opened — identity's password change or account deletion, together with
// the audit recorder.
//
// Tokens are stored only as their hash. Expiry marking runs in short
// batches with FOR UPDATE SKIP LOCKED on PostgreSQL, so several cleanup
// workers never wait on each other or on a request for long. It imports
// GORM, pgstore, ports and the sessions domain; never application/ or
// another adapter family.
package sessionspg

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm/clause"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/domain/sessions"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/sessionsport"
)

// sessionRow is the sessions table. Timestamps come from the domain, never
// from GORM's auto-time hooks.
type sessionRow struct {
	ID                uuid.UUID  `gorm:"column:id;primaryKey"`
	UserID            uuid.UUID  `gorm:"column:user_id"`
	TokenHash         []byte     `gorm:"column:token_hash"`
	CreatedAt         time.Time  `gorm:"column:created_at;autoCreateTime:false"`
	LastSeenAt        time.Time  `gorm:"column:last_seen_at"`
	ExpiresAt         time.Time  `gorm:"column:expires_at"`
	AbsoluteExpiresAt time.Time  `gorm:"column:absolute_expires_at"`
	IP                string     `gorm:"column:ip"`
	UserAgent         string     `gorm:"column:user_agent"`
	Status            string     `gorm:"column:status"`
	EndedAt           *time.Time `gorm:"column:ended_at"`
	EndReason         string     `gorm:"column:end_reason"`
	// AuthMethod, AMR (space-separated) and AuthTime: how and when the
	// user authenticated; a NULL auth_time (rows older than migration
	// 00014) reads as created_at.
	AuthMethod string     `gorm:"column:auth_method"`
	AMR        string     `gorm:"column:amr"`
	AuthTime   *time.Time `gorm:"column:auth_time"`
}

func (sessionRow) TableName() string { return "sessions" }

type purgeRow struct {
	TokenHash []byte    `gorm:"column:token_hash;primaryKey"`
	Until     time.Time `gorm:"column:until"`
}

func (purgeRow) TableName() string { return "session_cache_purges" }

func toRow(x *sessions.Session) sessionRow {
	r := sessionRow{
		ID: x.ID(), UserID: uuid.UUID(x.User()), TokenHash: x.TokenHash().Bytes(),
		CreatedAt: x.CreatedAt(), LastSeenAt: x.LastSeenAt(), ExpiresAt: x.ExpiresAt(),
		AbsoluteExpiresAt: x.AbsoluteExpiresAt(), IP: x.IP(), UserAgent: x.UserAgent(),
		Status: x.Status().String(), EndReason: x.EndReason(),
		AuthMethod: x.Method().Name(), AMR: strings.Join(x.Method().AMR(), " "),
	}
	at := x.AuthTime()
	r.AuthTime = &at
	if !x.EndedAt().IsZero() {
		e := x.EndedAt()
		r.EndedAt = &e
	}
	return r
}

func (r sessionRow) session() (*sessions.Session, error) {
	h, err := sessions.NewTokenHash(r.TokenHash)
	if err != nil {
		return nil, fmt.Errorf("stored session %s has an unreadable token hash", r.ID)
	}
	st, err := sessions.ParseStatus(r.Status)
	if err != nil {
		return nil, fmt.Errorf("stored session %s: %w", r.ID, err)
	}
	method, err := sessions.ParseAuthMethod(r.AuthMethod, strings.Fields(r.AMR))
	if err != nil {
		return nil, fmt.Errorf("stored session %s: %w", r.ID, err)
	}
	var ended, authTime time.Time
	if r.EndedAt != nil {
		ended = *r.EndedAt
	}
	if r.AuthTime != nil {
		authTime = *r.AuthTime
	}
	return sessions.Rehydrate(r.ID, shared.UserID(r.UserID), h, method, authTime, r.CreatedAt, r.LastSeenAt, r.ExpiresAt,
		r.AbsoluteExpiresAt, r.IP, r.UserAgent, st, ended, r.EndReason), nil
}

// Store is the GORM session store. Every method joins the unit of work
// (the DB's transaction) carried by ctx.
type Store struct {
	db *pgstore.DB
}

var _ sessionsport.Store = (*Store)(nil)

// New returns a store on db.
func New(db *pgstore.DB) *Store { return &Store{db: db} }

// Create implements sessionsport.Store.
func (s *Store) Create(ctx context.Context, x *sessions.Session) error {
	r := toRow(x)
	if err := s.db.Conn(ctx).Create(&r).Error; err != nil {
		if pgstore.IsDuplicate(err) {
			return sessions.ErrDuplicate.WithCause(err)
		}
		return fmt.Errorf("insert session: %w", err)
	}
	return nil
}

// Get implements sessionsport.Store.
func (s *Store) Get(ctx context.Context, id uuid.UUID) (*sessions.Session, error) {
	return s.first(ctx, "id = ?", id)
}

// ByTokenHash implements sessionsport.Store.
func (s *Store) ByTokenHash(ctx context.Context, h sessions.TokenHash) (*sessions.Session, error) {
	return s.first(ctx, "token_hash = ?", h.Bytes())
}

func (s *Store) first(ctx context.Context, where string, arg any) (*sessions.Session, error) {
	var r sessionRow
	if err := s.db.Conn(ctx).Where(where, arg).Take(&r).Error; err != nil {
		if pgstore.IsNotFound(err) {
			return nil, sessions.ErrNotFound
		}
		return nil, fmt.Errorf("read session: %w", err)
	}
	return r.session()
}

// Update implements sessionsport.Store.
func (s *Store) Update(ctx context.Context, id uuid.UUID, fn func(*sessions.Session) error) error {
	return s.db.Transaction(ctx, func(ctx context.Context) error {
		var r sessionRow
		err := s.db.ForUpdate(s.db.Conn(ctx).Where("id = ?", id)).Take(&r).Error
		if pgstore.IsNotFound(err) {
			return sessions.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("lock session: %w", err)
		}
		x, err := r.session()
		if err != nil {
			return err
		}
		if err := fn(x); err != nil {
			return err
		}
		return s.save(ctx, x)
	})
}

// UpdateActiveOf implements sessionsport.Store.
func (s *Store) UpdateActiveOf(ctx context.Context, user shared.UserID, fn func([]*sessions.Session) error) error {
	return s.db.Transaction(ctx, func(ctx context.Context) error {
		var rows []sessionRow
		q := s.db.Conn(ctx).Where("user_id = ? AND status = ?", uuid.UUID(user), sessions.StatusActive.String()).
			Order("created_at DESC, id DESC")
		if err := s.db.ForUpdate(q).Find(&rows).Error; err != nil {
			return fmt.Errorf("lock sessions of user: %w", err)
		}
		list := make([]*sessions.Session, 0, len(rows))
		for _, r := range rows {
			x, err := r.session()
			if err != nil {
				return err
			}
			list = append(list, x)
		}
		if err := fn(list); err != nil {
			return err
		}
		for _, x := range list {
			if err := s.save(ctx, x); err != nil {
				return err
			}
		}
		return nil
	})
}

// save writes the columns a session's verbs change.
func (s *Store) save(ctx context.Context, x *sessions.Session) error {
	r := toRow(x)
	err := s.db.Conn(ctx).Model(&sessionRow{}).Where("id = ?", r.ID).Updates(map[string]any{
		"last_seen_at": r.LastSeenAt, "expires_at": r.ExpiresAt, "status": r.Status,
		"ended_at": r.EndedAt, "end_reason": r.EndReason,
	}).Error
	if err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	return nil
}

// Touch implements sessionsport.Store.
func (s *Store) Touch(ctx context.Context, id uuid.UUID, lastSeenAt, expiresAt time.Time) (bool, error) {
	res := s.db.Conn(ctx).Model(&sessionRow{}).
		Where("id = ? AND status = ?", id, sessions.StatusActive.String()).
		Updates(map[string]any{"last_seen_at": utc(lastSeenAt), "expires_at": utc(expiresAt)})
	if res.Error != nil {
		return false, fmt.Errorf("touch session: %w", res.Error)
	}
	return res.RowsAffected > 0, nil
}

// ListActive implements sessionsport.Store.
func (s *Store) ListActive(ctx context.Context, user shared.UserID, notExpiredBefore time.Time, q sessionsport.PageQuery) ([]*sessions.Session, error) {
	db := s.db.Conn(ctx).
		Where("user_id = ? AND status = ? AND expires_at > ?", uuid.UUID(user), sessions.StatusActive.String(), utc(notExpiredBefore))
	if !q.BeforeCreatedAt.IsZero() {
		at := utc(q.BeforeCreatedAt)
		db = db.Where("(created_at < ? OR (created_at = ? AND id < ?))", at, at, q.BeforeID)
	}
	if q.Limit > 0 {
		db = db.Limit(q.Limit)
	}
	var rows []sessionRow
	if err := db.Order("created_at DESC, id DESC").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	out := make([]*sessions.Session, 0, len(rows))
	for _, r := range rows {
		x, err := r.session()
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

// ExpireBatch implements sessionsport.Store. One statement: the inner
// select claims the oldest due rows (skipping rows another transaction
// holds, on PostgreSQL) and the update marks them.
func (s *Store) ExpireBatch(ctx context.Context, before, now time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	lock := ""
	if s.db.Dialect() == pgstore.Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	res := s.db.Conn(ctx).Exec(`UPDATE sessions SET status = ?, ended_at = ?, end_reason = ?
		WHERE id IN (SELECT id FROM sessions WHERE status = ? AND expires_at <= ? ORDER BY expires_at LIMIT ?`+lock+`)`,
		sessions.StatusExpired.String(), utc(now), sessions.StatusExpired.String(),
		sessions.StatusActive.String(), utc(before), limit)
	if res.Error != nil {
		return 0, fmt.Errorf("expire sessions: %w", res.Error)
	}
	return int(res.RowsAffected), nil
}

// AddPurges implements sessionsport.Store.
func (s *Store) AddPurges(ctx context.Context, ps []sessionsport.Purge) error {
	if len(ps) == 0 {
		return nil
	}
	rows := make([]purgeRow, len(ps))
	for i, p := range ps {
		rows[i] = purgeRow{TokenHash: p.Hash.Bytes(), Until: utc(p.Until)}
	}
	err := s.db.Conn(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "token_hash"}},
		DoUpdates: clause.AssignmentColumns([]string{"until"}),
	}).Create(&rows).Error
	if err != nil {
		return fmt.Errorf("record cache purges: %w", err)
	}
	return nil
}

// PendingPurges implements sessionsport.Store.
func (s *Store) PendingPurges(ctx context.Context, limit int) ([]sessionsport.Purge, error) {
	var rows []purgeRow
	q := s.db.Conn(ctx).Order("token_hash")
	if limit > 0 {
		q = q.Limit(limit)
	}
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read cache purges: %w", err)
	}
	out := make([]sessionsport.Purge, 0, len(rows))
	for _, r := range rows {
		h, err := sessions.NewTokenHash(r.TokenHash)
		if err != nil {
			return nil, errors.New("a stored cache purge has an unreadable token hash")
		}
		out = append(out, sessionsport.Purge{Hash: h, Until: r.Until.UTC()})
	}
	return out, nil
}

// DeletePurges implements sessionsport.Store.
func (s *Store) DeletePurges(ctx context.Context, hs []sessions.TokenHash) error {
	if len(hs) == 0 {
		return nil
	}
	keys := make([][]byte, len(hs))
	for i, h := range hs {
		keys[i] = h.Bytes()
	}
	if err := s.db.Conn(ctx).Where("token_hash IN ?", keys).Delete(&purgeRow{}).Error; err != nil {
		return fmt.Errorf("delete cache purges: %w", err)
	}
	return nil
}

func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
