// Package auditpg is the GORM audit store on PostgreSQL and SQLite: the
// append-only audit_logs table and the single-row audit_chain_head.
//
// Every query goes through pgstore.DB.Conn(ctx), so appends join the
// caller's transaction and commit or roll back with the change they
// describe. Appends lock the chain-head row FOR UPDATE on PostgreSQL (SQLite's
// immediate transactions hold the database's single write lock already), so
// the lock is held until the caller's transaction ends: callers record at
// the end of their unit of work. There is no update or delete of a record.
//
// It is an outbound adapter: it imports GORM, pgstore, domain/audit and
// ports, never application/ or another adapter family.
package auditpg

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/domain/audit"
	"github.com/secuird/authy/ports/auditport"
)

// insertBatch bounds the rows of one INSERT.
const insertBatch = 100

// Store is the GORM auditport.Store.
type Store struct {
	db *pgstore.DB
}

// New returns the store over db.
func New(db *pgstore.DB) *Store { return &Store{db: db} }

var _ auditport.Store = (*Store)(nil)

type recordRow struct {
	Sequence       int64     `gorm:"column:sequence;primaryKey;autoIncrement:false"`
	ID             string    `gorm:"column:id"`
	OccurredAt     time.Time `gorm:"column:occurred_at"`
	ActorType      string    `gorm:"column:actor_type"`
	ActorID        *string   `gorm:"column:actor_id"`
	Action         string    `gorm:"column:action"`
	TargetType     *string   `gorm:"column:target_type"`
	TargetID       *string   `gorm:"column:target_id"`
	OrganizationID *string   `gorm:"column:organization_id"`
	ClientIP       *string   `gorm:"column:client_ip"`
	UserAgent      *string   `gorm:"column:user_agent"`
	RequestID      *string   `gorm:"column:request_id"`
	CorrelationID  *string   `gorm:"column:correlation_id"`
	Details        string    `gorm:"column:details"`
	PrevHash       string    `gorm:"column:prev_hash"`
	Hash           string    `gorm:"column:hash"`
}

func (recordRow) TableName() string { return "audit_logs" }

type headRow struct {
	ID       int    `gorm:"column:id;primaryKey"`
	Sequence int64  `gorm:"column:sequence"`
	Hash     string `gorm:"column:hash"`
}

func (headRow) TableName() string { return "audit_chain_head" }

// The columns a listing reads, in one place so both branches of a subject
// query select the same.
const columns = "sequence, id, occurred_at, actor_type, actor_id, action, target_type, target_id, " +
	"organization_id, client_ip, user_agent, request_id, correlation_id, details, prev_hash, hash"

// Append implements auditport.Store.
func (s *Store) Append(ctx context.Context, seal func(head audit.ChainHead) ([]audit.Record, error)) error {
	return s.db.Transaction(ctx, func(ctx context.Context) error {
		conn := s.db.Conn(ctx)
		var h headRow
		if err := s.db.ForUpdate(conn.Model(&headRow{})).Where("id = ?", 1).Take(&h).Error; err != nil {
			return fmt.Errorf("lock audit chain head: %w", err)
		}
		head := audit.RehydrateChainHead(h.Sequence, h.Hash)
		recs, err := seal(head)
		if err != nil {
			return err
		}
		if len(recs) == 0 {
			return nil
		}
		if !audit.Continues(head, recs) {
			return audit.ErrChainMismatch
		}
		rows := make([]recordRow, 0, len(recs))
		for _, r := range recs {
			rows = append(rows, toRow(r))
		}
		if err := conn.CreateInBatches(rows, insertBatch).Error; err != nil {
			return fmt.Errorf("insert audit records: %w", err)
		}
		next := audit.HeadOf(head, recs)
		// The sequence condition is a second guard beside the lock: a head
		// that moved underneath is refused rather than overwritten.
		res := conn.Model(&headRow{}).Where("id = ? AND sequence = ?", 1, h.Sequence).
			Updates(map[string]any{"sequence": next.Sequence(), "hash": next.Hash()})
		if res.Error != nil {
			return fmt.Errorf("move audit chain head: %w", res.Error)
		}
		if res.RowsAffected != 1 {
			return audit.ErrChainMismatch
		}
		return nil
	})
}

// Head implements auditport.Store.
func (s *Store) Head(ctx context.Context) (audit.ChainHead, error) {
	var h headRow
	if err := s.db.Conn(ctx).Where("id = ?", 1).Take(&h).Error; err != nil {
		return audit.ChainHead{}, fmt.Errorf("read audit chain head: %w", err)
	}
	return audit.RehydrateChainHead(h.Sequence, h.Hash), nil
}

// Scan implements auditport.Store.
func (s *Store) Scan(ctx context.Context, after int64, limit int) ([]audit.Record, error) {
	var rows []recordRow
	err := s.db.Conn(ctx).Model(&recordRow{}).Select(columns).
		Where("sequence > ?", after).Order("sequence").Limit(max(limit, 0)).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("scan audit records: %w", err)
	}
	return fromRows(rows), nil
}

// List implements auditport.Store. A subject query ("records where the
// user acts or is the target") runs as two ordered index scans, one per
// role, merged here: an OR across two columns would make the database read
// every matching row and sort them before it could return one page.
func (s *Store) List(ctx context.Context, q auditport.Query) ([]audit.Record, error) {
	if q.Limit <= 0 {
		return nil, nil
	}
	if q.Subject.IsZero() {
		return s.find(ctx, q, nil)
	}
	user := q.Subject.String()
	asActor, err := s.find(ctx, q, func(db *gorm.DB) *gorm.DB {
		return db.Where("actor_id = ? AND actor_type = ?", user, audit.ActorUser)
	})
	if err != nil {
		return nil, err
	}
	asTarget, err := s.find(ctx, q, func(db *gorm.DB) *gorm.DB {
		return db.Where("target_id = ? AND target_type = ?", user, audit.TargetUser)
	})
	if err != nil {
		return nil, err
	}
	return merge(asActor, asTarget, q.Order, q.Limit), nil
}

func (s *Store) find(ctx context.Context, q auditport.Query, scope func(*gorm.DB) *gorm.DB) ([]audit.Record, error) {
	db := s.db.Conn(ctx).Model(&recordRow{}).Select(columns)
	if scope != nil {
		db = scope(db)
	}
	if !q.Organization.IsZero() {
		db = db.Where("organization_id = ?", q.Organization.String())
	}
	if !q.Action.IsZero() {
		if q.Action.IsPrefix() {
			db = db.Where(`action LIKE ? ESCAPE '\'`, likePrefix(q.Action.Value()))
		} else {
			db = db.Where("action = ?", q.Action.Value())
		}
	}
	if q.ActorID != "" {
		db = db.Where("actor_id = ?", q.ActorID)
	}
	if !q.From.IsZero() {
		db = db.Where("occurred_at >= ?", q.From.UTC())
	}
	if !q.To.IsZero() {
		db = db.Where("occurred_at < ?", q.To.UTC())
	}
	dir := "DESC"
	cmp := "<"
	if q.Order == auditport.OldestFirst {
		dir, cmp = "ASC", ">"
	}
	if q.After != nil {
		db = db.Where("(occurred_at, sequence) "+cmp+" (?, ?)", q.After.OccurredAt.UTC(), q.After.Sequence)
	}
	var rows []recordRow
	if err := db.Order("occurred_at " + dir + ", sequence " + dir).Limit(q.Limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list audit records: %w", err)
	}
	return fromRows(rows), nil
}

// likePrefix escapes LIKE's wildcards ("_" is common in action names) and
// appends the one wildcard that makes it a prefix match.
func likePrefix(p string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(p) + "%"
}

func merge(a, b []audit.Record, order auditport.Order, limit int) []audit.Record {
	seen := make(map[int64]bool, len(a)+len(b))
	out := make([]audit.Record, 0, len(a)+len(b))
	for _, r := range append(a, b...) {
		if !seen[r.Sequence()] {
			seen[r.Sequence()] = true
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if order == auditport.OldestFirst {
			return out[i].Position().Before(out[j].Position())
		}
		return out[j].Position().Before(out[i].Position())
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

func toRow(r audit.Record) recordRow {
	s := r.State()
	return recordRow{
		Sequence: s.Sequence, ID: s.ID.String(), OccurredAt: s.OccurredAt.UTC(),
		ActorType: s.ActorType, ActorID: nullable(s.ActorID), Action: s.Action,
		TargetType: nullable(s.TargetType), TargetID: nullable(s.TargetID),
		OrganizationID: nullable(s.OrganizationID), ClientIP: nullable(s.ClientIP),
		UserAgent: nullable(s.UserAgent), RequestID: nullable(s.RequestID), CorrelationID: nullable(s.CorrelationID),
		Details: string(s.Details), PrevHash: s.PrevHash, Hash: s.Hash,
	}
}

func fromRows(rows []recordRow) []audit.Record {
	out := make([]audit.Record, 0, len(rows))
	for _, row := range rows {
		id, err := uuid.Parse(row.ID)
		if err != nil {
			// A stored id that is not a UUID is itself tampering; keep the
			// record (with a nil id) so verification reports it by sequence.
			id = uuid.Nil
		}
		out = append(out, audit.RehydrateRecord(audit.RecordState{
			ID: id, Sequence: row.Sequence, OccurredAt: row.OccurredAt.UTC(),
			ActorType: row.ActorType, ActorID: deref(row.ActorID), Action: row.Action,
			TargetType: deref(row.TargetType), TargetID: deref(row.TargetID),
			OrganizationID: deref(row.OrganizationID), ClientIP: deref(row.ClientIP),
			UserAgent: deref(row.UserAgent), RequestID: deref(row.RequestID), CorrelationID: deref(row.CorrelationID),
			Details: []byte(row.Details), PrevHash: row.PrevHash, Hash: row.Hash,
		}))
	}
	return out
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
