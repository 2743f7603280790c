// Package auditpg is the GORM audit store on PostgreSQL and SQLite: the
// append-only audit_logs table (the records), audit_chain (each sealed
// record's sequence and links), audit_pending (the records awaiting the
// sealer) and the single-row audit_chain_head.
//
// Inserts go through pgstore.DB.Conn(ctx), so records join the caller's
// transaction and commit or roll back with the change they describe. A
// record and its queue entry are written together (one statement on
// PostgreSQL) and touch no row another writer touches, so writers do not
// wait for one another. Seal is the sealer's transaction: on PostgreSQL it
// locks the chain-head row FOR UPDATE SKIP LOCKED (only sealers take that
// lock, so a second sealer learns at once that another is sealing and
// backs off); on SQLite the immediate transaction holds the database's
// single write lock, so a second sealer waits and then finds the queue
// emptied. It reads the queue entries visible to it, which are exactly the
// committed ones, with their records; inserts their links into audit_chain
// (unique by sequence and by record, a second guard beside the lock);
// deletes exactly those entries; moves the head and commits. Sealing thus
// writes two narrow rows per record and never updates one: records and
// links are append-only, and the database's triggers refuse any update or
// delete of either.
//
// It is an outbound adapter: it imports GORM, pgstore, domain/audit and
// ports, never application/ or another adapter family.
package auditpg

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/domain/audit"
	"github.com/secuird/authy/ports/auditport"
)

// insertBatch bounds the rows of one INSERT, sealChunk those of one
// sealing statement (four parameters each, far below either database's
// limit).
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

// recordRow is a record with its link (NULL while unsealed), as the
// listings read it.
type recordRow struct {
	Pos            int64     `gorm:"column:pos"`
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
	PrevHash       *string   `gorm:"column:prev_hash"`
	Hash           *string   `gorm:"column:hash"`
}

type headRow struct {
	ID       int    `gorm:"column:id;primaryKey"`
	Sequence int64  `gorm:"column:sequence"`
	Hash     string `gorm:"column:hash"`
}

func (headRow) TableName() string { return "audit_chain_head" }

// The columns every read selects: the record (l) and its link (c).
const columns = "l.pos, c.sequence, l.id, l.occurred_at, l.actor_type, l.actor_id, l.action, l.target_type, " +
	"l.target_id, l.organization_id, l.client_ip, l.user_agent, l.request_id, l.correlation_id, l.details, " +
	"c.prev_hash, c.hash"

// insertColumns are the columns Insert writes; the database assigns pos.
const insertColumns = "id, occurred_at, actor_type, actor_id, action, target_type, target_id, " +
	"organization_id, client_ip, user_agent, request_id, correlation_id, details"

// records is a query over records with their links, sealed or not.
func (s *Store) records(ctx context.Context) *gorm.DB {
	return s.db.Conn(ctx).Table("audit_logs AS l").Select(columns).Joins("LEFT JOIN audit_chain AS c ON c.pos = l.pos")
}

// Insert implements auditport.Store. Each record gets its queue entry in
// the same transaction. On PostgreSQL one statement writes both, and
// inside a transaction it is sent with the COMMIT (pgstore.ExecWithCommit):
// the record costs no round trip of its own, and commits or rolls back
// with the change it describes all the same. Its insert position is
// therefore taken at commit, after the transaction's other statements. On
// SQLite the queue entries take a second statement (no round trip to
// save).
func (s *Store) Insert(ctx context.Context, entries []audit.Entry) error {
	if s.db.Dialect() == pgstore.Postgres {
		for len(entries) > 0 {
			n := min(len(entries), insertBatch)
			if err := s.db.ExecWithCommit(ctx, "insert audit records", pgInsertSQL(n), insertArgs(entries[:n])...); err != nil {
				return err
			}
			entries = entries[n:]
		}
		return nil
	}
	if !s.db.InTx(ctx) {
		return s.db.Transaction(ctx, func(ctx context.Context) error { return s.Insert(ctx, entries) })
	}
	conn := s.db.Conn(ctx)
	for len(entries) > 0 {
		n := min(len(entries), insertBatch)
		var sql strings.Builder
		sql.WriteString("INSERT INTO audit_logs (" + insertColumns + ") VALUES ")
		for i := 0; i < n; i++ {
			if i > 0 {
				sql.WriteString(", ")
			}
			sql.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
		}
		sql.WriteString(" RETURNING pos")
		var pos []int64
		if err := conn.Raw(sql.String(), insertArgs(entries[:n])...).Scan(&pos).Error; err != nil {
			return fmt.Errorf("insert audit records: %w", err)
		}
		if err := s.queue(conn, pos); err != nil {
			return err
		}
		entries = entries[n:]
	}
	return nil
}

// insertColumnCount is the number of insertColumns.
const insertColumnCount = 13

// insertArgs are the values of entries in insertColumns' order.
func insertArgs(entries []audit.Entry) []any {
	args := make([]any, 0, len(entries)*insertColumnCount)
	for _, e := range entries {
		r := toRow(e.Unsealed())
		args = append(args, r.ID, r.OccurredAt, r.ActorType, r.ActorID, r.Action, r.TargetType, r.TargetID,
			r.OrganizationID, r.ClientIP, r.UserAgent, r.RequestID, r.CorrelationID, r.Details)
	}
	return args
}

// pgInsertSQL writes n records and their queue entries in one statement,
// with PostgreSQL placeholders; its text depends on n alone, so each batch
// size is prepared once per connection.
func pgInsertSQL(n int) string {
	var sql strings.Builder
	sql.WriteString("WITH r AS (INSERT INTO audit_logs (" + insertColumns + ") VALUES ")
	p := 0
	for i := 0; i < n; i++ {
		if i > 0 {
			sql.WriteString(", ")
		}
		sql.WriteByte('(')
		for c := 0; c < insertColumnCount; c++ {
			if c > 0 {
				sql.WriteString(", ")
			}
			p++
			sql.WriteByte('$')
			sql.WriteString(strconv.Itoa(p))
		}
		sql.WriteByte(')')
	}
	sql.WriteString(" RETURNING pos) INSERT INTO audit_pending (pos) SELECT pos FROM r")
	return sql.String()
}

func (s *Store) queue(conn *gorm.DB, pos []int64) error {
	if len(pos) == 0 {
		return nil
	}
	sql := "INSERT INTO audit_pending (pos) VALUES " + strings.TrimSuffix(strings.Repeat("(?), ", len(pos)), ", ")
	args := make([]any, len(pos))
	for i, p := range pos {
		args[i] = p
	}
	if err := conn.Exec(sql, args...).Error; err != nil {
		return fmt.Errorf("queue audit records for sealing: %w", err)
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
		if err := s.lookUpByKey(conn); err != nil {
			return err
		}
		var heads []headRow
		if err := s.db.SkipLocked(conn.Model(&headRow{})).Where("id = ?", 1).Find(&heads).Error; err != nil {
			return fmt.Errorf("lock audit chain head: %w", err)
		}
		if len(heads) == 0 {
			return audit.ErrSealerBusy
		}
		head := audit.RehydrateChainHead(heads[0].Sequence, heads[0].Hash)
		// The queue entries this transaction sees are the committed ones,
		// taken oldest first; each is looked up by key, whatever the
		// tables' sizes. An entry without a record, or for a record linked
		// already (both only written behind the application's back), is
		// removed with the batch rather than allowed to stop the sealer.
		rows, err := readPending(conn, limit)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		var stale []int64
		live := make([]recordRow, 0, len(rows))
		for _, r := range rows {
			if r.ID == "" || r.Sequence != nil {
				stale = append(stale, r.Pos)
				continue
			}
			live = append(live, r)
		}
		if err := dequeue(conn, stale); err != nil {
			return err
		}
		if len(live) == 0 {
			return nil
		}
		pending := fromRows(live)
		recs, err := seal(head, pending)
		if err != nil {
			return err
		}
		if !audit.SealsPending(head, pending, recs) {
			return audit.ErrChainMismatch
		}
		if err := s.writeSeals(conn, recs); err != nil {
			return err
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

// readPending reads up to limit queue entries, oldest first, each with its
// record and link (both NULL when missing), scanned column by column: the
// sealer reads every record once, and reflection was most of its cost.
func readPending(conn *gorm.DB, limit int) ([]recordRow, error) {
	rs, err := conn.Raw(`SELECT `+strings.Replace(columns, "l.pos", "p.pos", 1)+` FROM (SELECT pos FROM audit_pending ORDER BY pos LIMIT ?) AS p
		LEFT JOIN audit_logs AS l ON l.pos = p.pos LEFT JOIN audit_chain AS c ON c.pos = p.pos ORDER BY p.pos`, limit).Rows()
	if err != nil {
		return nil, fmt.Errorf("read unsealed audit records: %w", err)
	}
	defer rs.Close()
	var rows []recordRow
	for rs.Next() {
		var (
			r                          recordRow
			id, actor, action, details *string
			occurred                   *time.Time
		)
		if err := rs.Scan(&r.Pos, &r.Sequence, &id, &occurred, &actor, &r.ActorID, &action, &r.TargetType,
			&r.TargetID, &r.OrganizationID, &r.ClientIP, &r.UserAgent, &r.RequestID, &r.CorrelationID, &details,
			&r.PrevHash, &r.Hash); err != nil {
			return nil, fmt.Errorf("read unsealed audit records: %w", err)
		}
		// A queue entry without its record reads NULL in the record's
		// NOT NULL columns.
		r.ID, r.ActorType, r.Action, r.Details = deref(id), deref(actor), deref(action), deref(details)
		if occurred != nil {
			r.OccurredAt = *occurred
		}
		rows = append(rows, r)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("read unsealed audit records: %w", err)
	}
	return rows, nil
}

// writeSeals inserts the links of recs and removes their queue entries.
// A record linked already (audit_chain's unique pos) fails the insert, and
// an entry another sealer removed makes the count differ: either way the
// batch rolls back. On PostgreSQL each is one statement of the same text
// whatever the batch's size (the values go as arrays), so it is prepared
// once per connection and costs a few parameters instead of four per
// record; SQLite, which has no arrays, takes them in chunks.
func (s *Store) writeSeals(conn *gorm.DB, recs []audit.Record) error {
	if s.db.Dialect() == pgstore.Postgres {
		seq, pos := make([]int64, len(recs)), make([]int64, len(recs))
		prev, hash := make([]string, len(recs)), make([]string, len(recs))
		for i, r := range recs {
			seq[i], pos[i], prev[i], hash[i] = r.Sequence(), r.Pos(), r.PrevHash(), r.Hash()
		}
		if err := conn.Exec(`INSERT INTO audit_chain (sequence, pos, prev_hash, hash)
			SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::text[], ?::text[])`,
			intArray(seq), intArray(pos), textArray(prev), textArray(hash)).Error; err != nil {
			return fmt.Errorf("seal audit records: %w", err)
		}
		res := conn.Exec(`DELETE FROM audit_pending WHERE pos = ANY(?::bigint[])`, intArray(pos))
		return dequeued(res, len(pos))
	}
	for chunk := recs; len(chunk) > 0; {
		n := min(len(chunk), sealChunk)
		if err := writeSealChunk(conn, chunk[:n]); err != nil {
			return err
		}
		chunk = chunk[n:]
	}
	return nil
}

func writeSealChunk(conn *gorm.DB, recs []audit.Record) error {
	var ins strings.Builder
	ins.WriteString("INSERT INTO audit_chain (sequence, pos, prev_hash, hash) VALUES ")
	args := make([]any, 0, 4*len(recs))
	pos := make([]int64, 0, len(recs))
	for i, r := range recs {
		if i > 0 {
			ins.WriteString(", ")
		}
		ins.WriteString("(?, ?, ?, ?)")
		args = append(args, r.Sequence(), r.Pos(), r.PrevHash(), r.Hash())
		pos = append(pos, r.Pos())
	}
	if err := conn.Exec(ins.String(), args...).Error; err != nil {
		return fmt.Errorf("seal audit records: %w", err)
	}
	return dequeue(conn, pos)
}

// intArray and textArray write PostgreSQL array literals: GORM would
// expand a Go slice into a list of parameters.
func intArray(v []int64) string {
	b := make([]byte, 0, 2+len(v)*8)
	b = append(b, '{')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, x, 10)
	}
	return string(append(b, '}'))
}

func textArray(v []string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, x := range v {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		for j := 0; j < len(x); j++ {
			if x[j] == '"' || x[j] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(x[j])
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// dequeue removes the queue entries of pos, all of them or none.
func dequeue(conn *gorm.DB, pos []int64) error {
	if len(pos) == 0 {
		return nil
	}
	args := make([]any, len(pos))
	for i, p := range pos {
		args[i] = p
	}
	return dequeued(conn.Exec("DELETE FROM audit_pending WHERE pos IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(pos)), ", ")+")", args...), len(pos))
}

func dequeued(res *gorm.DB, want int) error {
	if res.Error != nil {
		return fmt.Errorf("dequeue sealed audit records: %w", res.Error)
	}
	if res.RowsAffected != int64(want) {
		return audit.ErrChainMismatch
	}
	return nil
}

// pending is a query over the queue entries the sealer takes: those with
// a record that has no link yet.
func (s *Store) pending(conn *gorm.DB) *gorm.DB {
	return conn.Table("audit_pending AS p").Joins("JOIN audit_logs AS l ON l.pos = p.pos").
		Where("NOT EXISTS (SELECT 1 FROM audit_chain AS c WHERE c.pos = p.pos)")
}

// lookUpByKey makes the rest of a PostgreSQL transaction join by index
// look-ups. The queue holds a few entries and the tables they point into
// grow without bound; with statistics that lag behind both, the planner
// would otherwise hash whole tables to join a few hundred rows.
func (s *Store) lookUpByKey(conn *gorm.DB) error {
	if s.db.Dialect() != pgstore.Postgres {
		return nil
	}
	if err := conn.Exec("SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off").Error; err != nil {
		return fmt.Errorf("audit store: %w", err)
	}
	return nil
}

// Backlog implements auditport.Store: what the sealer would take. On
// PostgreSQL it reads in a transaction of its own that joins by key (see
// lookUpByKey); on SQLite a transaction would take the write lock.
func (s *Store) Backlog(ctx context.Context) (auditport.Backlog, error) {
	if s.db.Dialect() != pgstore.Postgres || s.db.InTx(ctx) {
		return s.backlog(s.db.Conn(ctx))
	}
	var b auditport.Backlog
	err := s.db.Transaction(ctx, func(ctx context.Context) error {
		conn := s.db.Conn(ctx)
		if err := s.lookUpByKey(conn); err != nil {
			return err
		}
		var err error
		b, err = s.backlog(conn)
		return err
	})
	return b, err
}

// backlog reads the oldest pending record as a row (min() over a DATETIME
// comes back from SQLite as text), then counts; read in that order, a
// count above zero always comes with the time of a record that was
// pending, even while the sealer runs.
func (s *Store) backlog(conn *gorm.DB) (auditport.Backlog, error) {
	var oldest []recordRow
	if err := s.pending(conn).Select("l.pos, l.occurred_at").Order("l.occurred_at").Limit(1).Find(&oldest).Error; err != nil {
		return auditport.Backlog{}, fmt.Errorf("oldest unsealed audit record: %w", err)
	}
	if len(oldest) == 0 {
		return auditport.Backlog{}, nil
	}
	var n int64
	if err := s.pending(conn).Count(&n).Error; err != nil {
		return auditport.Backlog{}, fmt.Errorf("count unsealed audit records: %w", err)
	}
	if n == 0 {
		return auditport.Backlog{}, nil
	}
	return auditport.Backlog{Count: n, Oldest: oldest[0].OccurredAt.UTC()}, nil
}

// Strays implements auditport.Store: records with neither a link nor a
// queue entry. It reads every record (verification does anyway).
func (s *Store) Strays(ctx context.Context) (auditport.Strays, error) {
	const stray = "NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.pos = l.pos) AND NOT EXISTS (SELECT 1 FROM audit_pending p WHERE p.pos = l.pos)"
	conn := s.db.Conn(ctx)
	var n int64
	if err := conn.Table("audit_logs AS l").Where(stray).Count(&n).Error; err != nil {
		return auditport.Strays{}, fmt.Errorf("count stray audit records: %w", err)
	}
	if n == 0 {
		return auditport.Strays{}, nil
	}
	var first []recordRow
	if err := conn.Table("audit_logs AS l").Select("l.pos, l.id").Where(stray).Order("l.pos").Limit(1).Find(&first).Error; err != nil {
		return auditport.Strays{}, fmt.Errorf("first stray audit record: %w", err)
	}
	out := auditport.Strays{Count: n}
	if len(first) == 1 {
		out.First, _ = uuid.Parse(first[0].ID)
	}
	return out, nil
}

// Head implements auditport.Store.
func (s *Store) Head(ctx context.Context) (audit.ChainHead, error) {
	var h headRow
	if err := s.db.Conn(ctx).Where("id = ?", 1).Take(&h).Error; err != nil {
		return audit.ChainHead{}, fmt.Errorf("read audit chain head: %w", err)
	}
	return audit.RehydrateChainHead(h.Sequence, h.Hash), nil
}

// Scan implements auditport.Store. A link whose record was deleted has no
// row here, so the walk sees its sequence missing. On PostgreSQL it reads
// in a transaction of its own that joins by key (see lookUpByKey), so each
// batch of a walk costs the same however long the chain.
func (s *Store) Scan(ctx context.Context, after int64, limit int) ([]audit.Record, error) {
	scan := func(conn *gorm.DB) ([]audit.Record, error) {
		var rows []recordRow
		err := conn.Table("audit_chain AS c").Select(columns).Joins("JOIN audit_logs AS l ON l.pos = c.pos").
			Where("c.sequence > ?", after).Order("c.sequence").Limit(max(limit, 0)).Find(&rows).Error
		if err != nil {
			return nil, fmt.Errorf("scan audit records: %w", err)
		}
		return fromRows(rows), nil
	}
	if s.db.Dialect() != pgstore.Postgres || s.db.InTx(ctx) {
		return scan(s.db.Conn(ctx))
	}
	var recs []audit.Record
	err := s.db.Transaction(ctx, func(ctx context.Context) error {
		conn := s.db.Conn(ctx)
		if err := s.lookUpByKey(conn); err != nil {
			return err
		}
		var err error
		recs, err = scan(conn)
		return err
	})
	return recs, err
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
		return db.Where("l.actor_id = ? AND l.actor_type = ?", user, audit.ActorUser)
	})
	if err != nil {
		return nil, err
	}
	asTarget, err := s.find(ctx, q, func(db *gorm.DB) *gorm.DB {
		return db.Where("l.target_id = ? AND l.target_type = ?", user, audit.TargetUser)
	})
	if err != nil {
		return nil, err
	}
	return merge(asActor, asTarget, q.Order, q.Limit), nil
}

func (s *Store) find(ctx context.Context, q auditport.Query, scope func(*gorm.DB) *gorm.DB) ([]audit.Record, error) {
	db := s.records(ctx)
	if scope != nil {
		db = scope(db)
	}
	if !q.Organization.IsZero() {
		db = db.Where("l.organization_id = ?", q.Organization.String())
	}
	if !q.Action.IsZero() {
		if q.Action.IsPrefix() {
			db = db.Where(`l.action LIKE ? ESCAPE '\'`, likePrefix(q.Action.Value()))
		} else {
			db = db.Where("l.action = ?", q.Action.Value())
		}
	}
	if q.ActorID != "" {
		db = db.Where("l.actor_id = ?", q.ActorID)
	}
	if !q.From.IsZero() {
		db = db.Where("l.occurred_at >= ?", q.From.UTC())
	}
	if !q.To.IsZero() {
		db = db.Where("l.occurred_at < ?", q.To.UTC())
	}
	dir := "DESC"
	cmp := "<"
	if q.Order == auditport.OldestFirst {
		dir, cmp = "ASC", ">"
	}
	if q.After != nil {
		db = db.Where("(l.occurred_at, l.pos) "+cmp+" (?, ?)", q.After.OccurredAt.UTC(), q.After.Pos)
	}
	var rows []recordRow
	if err := db.Order("l.occurred_at " + dir + ", l.pos " + dir).Limit(q.Limit).Find(&rows).Error; err != nil {
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
		Details: string(s.Details), PrevHash: nullable(s.PrevHash), Hash: nullable(s.Hash),
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
			Details: []byte(row.Details), PrevHash: deref(row.PrevHash), Hash: deref(row.Hash),
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
