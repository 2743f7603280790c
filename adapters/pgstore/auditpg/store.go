// Package auditpg is the GORM audit store on PostgreSQL and SQLite: the
// append-only audit_logs table and the single-row audit_chain_head.
//
// Inserts go through pgstore.DB.Conn(ctx), so records join the caller's
// transaction and commit or roll back with the change they describe; they
// are written unsealed and touch no shared row, so writers do not wait for
// one another. Seal is the sealer's transaction: on PostgreSQL it locks the
// chain-head row FOR UPDATE SKIP LOCKED (only sealers take that lock, so a
// second sealer learns at once that another is sealing and backs off); on
// SQLite the immediate transaction holds the database's single write lock,
// so a second sealer waits and then finds the records sealed. It reads the
// unsealed records visible to it, which are exactly the committed ones,
// sets their sequence and links with one statement per chunk, guarded by
// "still unsealed", moves the head and commits. There is no other update
// and no delete of a record; the database's trigger refuses any.
//
// It is an outbound adapter: it imports GORM, pgstore, domain/audit and
// ports, never application/ or another adapter family.
package auditpg

import (
	"context"
	"errors"
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

// insertBatch bounds the rows of one INSERT, sealChunk those of one
// sealing UPDATE (four parameters each, far below either database's limit).
const (
	insertBatch = 100
	sealChunk   = 500
)

// Store is the GORM auditport.Store.
type Store struct {
	db *pgstore.DB
}

// New returns the store over db.
func New(db *pgstore.DB) *Store { return &Store{db: db} }

var _ auditport.Store = (*Store)(nil)

type recordRow struct {
	Pos            int64     `gorm:"column:pos;primaryKey"`
	Sequence       *int64    `gorm:"column:sequence"`
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

// The columns a listing reads, in one place so every query selects the same.
const columns = "pos, sequence, id, occurred_at, actor_type, actor_id, action, target_type, target_id, " +
	"organization_id, client_ip, user_agent, request_id, correlation_id, details, prev_hash, hash"

// insertColumns are the columns Insert writes: the database assigns pos,
// and sequence stays NULL until the record is sealed.
const insertColumns = "id, occurred_at, actor_type, actor_id, action, target_type, target_id, " +
	"organization_id, client_ip, user_agent, request_id, correlation_id, details, prev_hash, hash"

// Insert implements auditport.Store.
func (s *Store) Insert(ctx context.Context, entries []audit.Entry) error {
	conn := s.db.Conn(ctx)
	for len(entries) > 0 {
		n := min(len(entries), insertBatch)
		var sql strings.Builder
		sql.WriteString("INSERT INTO audit_logs (" + insertColumns + ") VALUES ")
		args := make([]any, 0, n*15)
		for i, e := range entries[:n] {
			if i > 0 {
				sql.WriteString(", ")
			}
			sql.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', '')")
			r := toRow(e.Unsealed())
			args = append(args, r.ID, r.OccurredAt, r.ActorType, r.ActorID, r.Action, r.TargetType, r.TargetID,
				r.OrganizationID, r.ClientIP, r.UserAgent, r.RequestID, r.CorrelationID, r.Details)
		}
		if err := conn.Exec(sql.String(), args...).Error; err != nil {
			return fmt.Errorf("insert audit records: %w", err)
		}
		entries = entries[n:]
	}
	return nil
}

// Seal implements auditport.Store.
func (s *Store) Seal(ctx context.Context, limit int, seal func(head audit.ChainHead, pending []audit.Record) ([]audit.Record, error)) (int, error) {
	if s.db.InTx(ctx) {
		return 0, errors.New("seal audit records: must run in a transaction of its own")
	}
	if limit <= 0 {
		return 0, nil
	}
	sealed := 0
	err := s.db.Transaction(ctx, func(ctx context.Context) error {
		sealed = 0
		conn := s.db.Conn(ctx)
		var heads []headRow
		if err := s.db.SkipLocked(conn.Model(&headRow{})).Where("id = ?", 1).Find(&heads).Error; err != nil {
			return fmt.Errorf("lock audit chain head: %w", err)
		}
		if len(heads) == 0 {
			return audit.ErrSealerBusy
		}
		head := audit.RehydrateChainHead(heads[0].Sequence, heads[0].Hash)
		var rows []recordRow
		if err := conn.Model(&recordRow{}).Select(columns).Where("sequence IS NULL").
			Order("pos").Limit(limit).Find(&rows).Error; err != nil {
			return fmt.Errorf("read unsealed audit records: %w", err)
		}
		if len(rows) == 0 {
			return nil
		}
		pending := fromRows(rows)
		recs, err := seal(head, pending)
		if err != nil {
			return err
		}
		if !audit.SealsPending(head, pending, recs) {
			return audit.ErrChainMismatch
		}
		for chunk := recs; len(chunk) > 0; {
			n := min(len(chunk), sealChunk)
			if err := s.writeSeals(conn, chunk[:n]); err != nil {
				return err
			}
			chunk = chunk[n:]
		}
		next := audit.HeadOf(head, recs)
		res := conn.Model(&headRow{}).Where("id = ? AND sequence = ?", 1, head.Sequence()).
			Updates(map[string]any{"sequence": next.Sequence(), "hash": next.Hash()})
		if res.Error != nil {
			return fmt.Errorf("move audit chain head: %w", res.Error)
		}
		if res.RowsAffected != 1 {
			return audit.ErrChainMismatch
		}
		sealed = len(recs)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return sealed, nil
}

// writeSeals sets the sequence and links of recs in one statement. The
// "still unsealed" condition is a second guard beside the head's lock: a
// record sealed underneath is not sealed twice, the count differs and the
// batch rolls back.
func (s *Store) writeSeals(conn *gorm.DB, recs []audit.Record) error {
	var sql strings.Builder
	sql.WriteString("UPDATE audit_logs SET sequence = v.column2, prev_hash = v.column3, hash = v.column4 FROM (VALUES ")
	args := make([]any, 0, 4*len(recs))
	for i, r := range recs {
		if i > 0 {
			sql.WriteString(", ")
		}
		// Both dialects name a VALUES list's columns column1…; the casts
		// give PostgreSQL the parameters' types.
		sql.WriteString("(CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT))")
		args = append(args, r.Pos(), r.Sequence(), r.PrevHash(), r.Hash())
	}
	sql.WriteString(") AS v WHERE audit_logs.pos = v.column1 AND audit_logs.sequence IS NULL")
	res := conn.Exec(sql.String(), args...)
	if res.Error != nil {
		return fmt.Errorf("seal audit records: %w", res.Error)
	}
	if res.RowsAffected != int64(len(recs)) {
		return audit.ErrChainMismatch
	}
	return nil
}

// Backlog implements auditport.Store. The oldest record is read as a row
// rather than with min(), which SQLite answers as text for a DATETIME.
func (s *Store) Backlog(ctx context.Context) (auditport.Backlog, error) {
	var n int64
	if err := s.db.Conn(ctx).Model(&recordRow{}).Where("sequence IS NULL").Count(&n).Error; err != nil {
		return auditport.Backlog{}, fmt.Errorf("count unsealed audit records: %w", err)
	}
	if n == 0 {
		return auditport.Backlog{}, nil
	}
	var rows []recordRow
	if err := s.db.Conn(ctx).Model(&recordRow{}).Select("pos, occurred_at").Where("sequence IS NULL").
		Order("occurred_at").Limit(1).Find(&rows).Error; err != nil {
		return auditport.Backlog{}, fmt.Errorf("oldest unsealed audit record: %w", err)
	}
	b := auditport.Backlog{Count: n}
	if len(rows) == 1 {
		b.Oldest = rows[0].OccurredAt.UTC()
	}
	return b, nil
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
	// Unsealed records (NULL) never compare greater, so only sealed ones
	// come back.
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
		db = db.Where("(occurred_at, pos) "+cmp+" (?, ?)", q.After.OccurredAt.UTC(), q.After.Pos)
	}
	var rows []recordRow
	if err := db.Order("occurred_at " + dir + ", pos " + dir).Limit(q.Limit).Find(&rows).Error; err != nil {
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
		if !seen[r.Pos()] {
			seen[r.Pos()] = true
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
	var seq *int64
	if s.Sequence != 0 {
		seq = &s.Sequence
	}
	return recordRow{
		Pos: s.Pos, Sequence: seq, ID: s.ID.String(), OccurredAt: s.OccurredAt.UTC(),
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
		var seq int64
		if row.Sequence != nil {
			seq = *row.Sequence
		}
		out = append(out, audit.RehydrateRecord(audit.RecordState{
			ID: id, Sequence: seq, Pos: row.Pos, OccurredAt: row.OccurredAt.UTC(),
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
