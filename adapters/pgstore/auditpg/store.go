// Package auditpg is the GORM audit store on PostgreSQL and SQLite: the
// append-only audit_logs table (the records), audit_chain (each sealed
// record's sequence and links) and the single-row audit_chain_head (the
// last link, and the sealer's watermark and gaps).
//
// Inserts go through pgstore.DB.Conn(ctx), so records join the caller's
// transaction and commit or roll back with the change they describe. A
// record is its row and nothing else, and touches no row another writer
// touches, so writers do not wait for one another. Seal is the sealer's
// transaction: exactly one runs at a time (on PostgreSQL the chain head's
// row lock, taken with SKIP LOCKED, so a second sealer learns at once that
// another is sealing and backs off; on SQLite the immediate transaction's
// single write lock, so a second sealer waits and then finds the work
// done). It reads committed records not sealed yet, inserts their links
// into audit_chain (unique by sequence and by record, a second guard
// beside the lock) and moves the head, in one transaction; records and
// links are append-only, and the database's triggers refuse any update or
// delete of either.
//
// # Finding the records to seal without a queue
//
// The head's watermark pos says: every record at or below it is sealed,
// or its position is in the head's gaps. A pass reads the records above
// the watermark in position order (a range of the primary key) and the
// committed records in the gaps, seals them, and moves the watermark to
// the last record it read. Positions it passed over (below a record it
// read, but not committed when it read) become gaps.
//
// On PostgreSQL a position is taken in the record's INSERT, sent with the
// COMMIT, so a lower position can commit after a higher one: that record
// is in a gap and the next pass that finds it committed seals it. A gap
// is dropped only when nothing can commit it any more, which this rule
// decides without a per-record queue:
//
//   - audit_logs.pos is taken from a sequence without a per-session cache,
//     so positions are handed out in increasing order in real time, and
//     only after the taking transaction has an id (the column default
//     calls pg_current_xact_id() first, in a CASE);
//   - a gap lies below a record the pass read, which committed before the
//     pass's snapshot: the gap's position was taken before that, by a
//     transaction that had its id before that;
//   - the pass then takes the head's row lock, its first write, which gives
//     it a transaction id only now: higher than the id of every
//     transaction that could commit the gap. That id is the gap's horizon;
//   - a later pass drops the gap when the xmin of a snapshot taken before
//     it looks into the gap is above the horizon (every transaction with a
//     lower id had ended) and the gap still holds nothing: whatever such a
//     transaction committed would have been visible.
//
// So a record is never skipped, however late it commits; a rolled-back
// position costs one look per pass until the transactions running when it
// was found have ended. The chain follows the order in which passes find
// records (see domain/audit), so a record that commits late is simply in
// a later batch. On SQLite the sealer holds the write lock, so no record
// is in flight while it reads, and no gap is ever left.
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

// headRow is the chain head: the last link's sequence and hash, and the
// sealer's watermark and gaps (see the package doc).
type headRow struct {
	ID       int    `gorm:"column:id;primaryKey"`
	Sequence int64  `gorm:"column:sequence"`
	Hash     string `gorm:"column:hash"`
	Pos      int64  `gorm:"column:pos"`
	Gaps     string `gorm:"column:gaps"`
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

// Insert implements auditport.Store. On PostgreSQL the records' statement
// is sent with the COMMIT of the transaction ctx carries
// (pgstore.ExecWithCommit): it costs no round trip of its own, and
// commits or rolls back with the change it describes all the same. Its
// insert positions are therefore taken at commit, after the transaction's
// other statements. A record needs nothing but its row: the sealer finds
// it above its watermark (see the package doc).
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
		if err := conn.Exec(sql.String(), insertArgs(entries[:n])...).Error; err != nil {
			return fmt.Errorf("insert audit records: %w", err)
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

// pgInsertSQL writes n records in one statement, with PostgreSQL
// placeholders; its text depends on n alone, so each batch size is
// prepared once per connection.
func pgInsertSQL(n int) string {
	var sql strings.Builder
	sql.WriteString("INSERT INTO audit_logs (" + insertColumns + ") VALUES ")
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
	return sql.String()
}

// maxProbedGaps bounds the gap runs one pass looks into (two parameters
// each); the rest wait for a later pass.
const maxProbedGaps = 500

// Seal implements auditport.Store. One pass, in one transaction:
//
//  1. read the head (its sequence, hash, watermark and gaps) and, on
//     PostgreSQL, the oldest transaction still running (the snapshot's
//     xmin);
//  2. read the committed records in the gaps, then those above the
//     watermark, in position order, up to limit in all;
//  3. on PostgreSQL, lock the head FOR UPDATE SKIP LOCKED (busy when
//     another sealer holds it or moved it since step 1), which gives this
//     transaction its id: the horizon of the gaps it leaves;
//  4. seal, write the links, and move the head: its sequence and hash to
//     the last link, its watermark to the last record read above it, its
//     gaps to those it had less the positions sealed and the runs settled,
//     plus the positions passed over.
//
// On SQLite the immediate transaction already holds the write lock, so
// nothing is in flight and no gap is ever left (the ones it has come from
// migration 00032).
func (s *Store) Seal(ctx context.Context, limit int, seal func(head audit.ChainHead, pending []audit.Record) ([]audit.Record, error)) (int, error) {
	if s.db.InTx(ctx) {
		return 0, errors.New("seal audit records: must run in a transaction of its own")
	}
	if limit <= 0 {
		return 0, nil
	}
	pg := s.db.Dialect() == pgstore.Postgres
	sealed := 0
	err := s.db.Transaction(ctx, func(ctx context.Context) error {
		sealed = 0
		conn := s.db.Conn(ctx)
		if err := s.lookUpByKey(conn); err != nil {
			return err
		}
		h, xmin, err := readHead(conn, pg)
		if err != nil {
			return err
		}
		gaps, err := parseGaps(h.Gaps)
		if err != nil {
			return err
		}
		probed := make([]bool, len(gaps))
		found, complete, err := probeGaps(conn, gaps[:min(len(gaps), maxProbedGaps)], limit)
		if err != nil {
			return err
		}
		for i := range probed {
			probed[i] = complete && i < maxProbedGaps
		}
		var above []recordRow
		if len(found) < limit {
			if above, err = readAbove(conn, h.Pos, limit-len(found)); err != nil {
				return err
			}
		}
		if len(found) == 0 && len(above) == 0 && !anySettled(gaps, probed, xmin, pg) {
			return nil
		}
		var horizon uint64
		if pg {
			if horizon, err = lockHead(conn, h); err != nil {
				return err
			}
		}

		// Records found sealed already (only written behind the
		// application's back) leave the gaps and the range all the same,
		// rather than stop the sealer.
		taken := make([]int64, 0, len(found))
		live := make([]recordRow, 0, len(found)+len(above))
		for _, r := range found {
			taken = append(taken, r.Pos)
			if r.Sequence == nil {
				live = append(live, r)
			}
		}
		seen := make([]int64, 0, len(above))
		for _, r := range above {
			seen = append(seen, r.Pos)
			if r.Sequence == nil {
				live = append(live, r)
			}
		}
		next := h
		if len(seen) > 0 {
			next.Pos = seen[len(seen)-1]
		}
		left := settleGaps(gaps, probed, taken, func(hz uint64) bool { return !pg || hz < xmin })
		if pg {
			left = append(left, passedOver(h.Pos, seen, horizon)...)
		}
		next.Gaps = formatGaps(left)

		head := audit.RehydrateChainHead(h.Sequence, h.Hash)
		var recs []audit.Record
		if len(live) > 0 {
			pending := fromRows(live)
			if recs, err = seal(head, pending); err != nil {
				return err
			}
			if !audit.SealsPending(head, pending, recs) {
				return audit.ErrChainMismatch
			}
			if err := s.writeSeals(conn, recs); err != nil {
				return err
			}
		}
		last := audit.HeadOf(head, recs)
		next.Sequence, next.Hash = last.Sequence(), last.Hash()
		res := conn.Model(&headRow{}).Where("id = ? AND sequence = ? AND pos = ? AND gaps = ?", 1, h.Sequence, h.Pos, h.Gaps).
			Updates(map[string]any{"sequence": next.Sequence, "hash": next.Hash, "pos": next.Pos, "gaps": next.Gaps})
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

// readHead reads the chain head, and on PostgreSQL the xmin of the same
// statement's snapshot: every transaction with a lower id had ended when
// it was taken, before the records are read.
func readHead(conn *gorm.DB, pg bool) (headRow, uint64, error) {
	var h headRow
	if !pg {
		if err := conn.Where("id = ?", 1).Take(&h).Error; err != nil {
			return h, 0, fmt.Errorf("read audit chain head: %w", err)
		}
		return h, 0, nil
	}
	var xmin string
	err := conn.Raw(`SELECT sequence, hash, pos, gaps, pg_snapshot_xmin(pg_current_snapshot())::text FROM audit_chain_head WHERE id = 1`).
		Row().Scan(&h.Sequence, &h.Hash, &h.Pos, &h.Gaps, &xmin)
	if err != nil {
		return h, 0, fmt.Errorf("read audit chain head: %w", err)
	}
	h.ID = 1
	x, err := strconv.ParseUint(xmin, 10, 64)
	if err != nil {
		return h, 0, fmt.Errorf("read audit chain head: snapshot xmin %q: %w", xmin, err)
	}
	return h, x, nil
}

// lockHead takes the head's row lock, or answers ErrSealerBusy when
// another sealer holds it or has moved the head since it was read (what
// was read may be sealed already). The lock is this transaction's first
// write, so it gives the transaction its id only now, after the records
// were read: every transaction that had taken a position before then has
// a lower id.
func lockHead(conn *gorm.DB, read headRow) (uint64, error) {
	rs, err := conn.Raw(`SELECT sequence, pos, gaps, pg_current_xact_id()::text FROM audit_chain_head WHERE id = 1 FOR UPDATE SKIP LOCKED`).Rows()
	if err != nil {
		return 0, fmt.Errorf("lock audit chain head: %w", err)
	}
	defer rs.Close()
	if !rs.Next() {
		if err := rs.Err(); err != nil {
			return 0, fmt.Errorf("lock audit chain head: %w", err)
		}
		return 0, audit.ErrSealerBusy
	}
	var (
		h   headRow
		xid string
	)
	if err := rs.Scan(&h.Sequence, &h.Pos, &h.Gaps, &xid); err != nil {
		return 0, fmt.Errorf("lock audit chain head: %w", err)
	}
	if h.Sequence != read.Sequence || h.Pos != read.Pos || h.Gaps != read.Gaps {
		return 0, audit.ErrSealerBusy
	}
	x, err := strconv.ParseUint(xid, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("lock audit chain head: transaction id %q: %w", xid, err)
	}
	return x, rs.Err()
}

// anySettled reports whether a pass would drop a run of gaps even with
// nothing to seal.
func anySettled(gaps []gap, probed []bool, xmin uint64, pg bool) bool {
	for i, g := range gaps {
		if probed[i] && (!pg || g.horizon < xmin) {
			return true
		}
	}
	return false
}

// probeGaps reads the records committed in gaps (at most limit, in
// position order), each with its link; complete says it found every one.
func probeGaps(conn *gorm.DB, gaps []gap, limit int) ([]recordRow, bool, error) {
	if len(gaps) == 0 {
		return nil, true, nil
	}
	where, args := inGaps(gaps)
	args = append(args, limit+1)
	rows, err := scanRecords(conn.Raw(`SELECT `+columns+` FROM audit_logs AS l LEFT JOIN audit_chain AS c ON c.pos = l.pos
		WHERE `+where+` ORDER BY l.pos LIMIT ?`, args...))
	if err != nil {
		return nil, false, fmt.Errorf("read audit records in the sealer's gaps: %w", err)
	}
	if len(rows) > limit {
		return rows[:limit], false, nil
	}
	return rows, true, nil
}

// readAbove reads up to limit records above the watermark in position
// order, each with its link (none, unless written behind the
// application's back): an ordered range of the primary key.
func readAbove(conn *gorm.DB, watermark int64, limit int) ([]recordRow, error) {
	rows, err := scanRecords(conn.Raw(`SELECT `+columns+` FROM audit_logs AS l LEFT JOIN audit_chain AS c ON c.pos = l.pos
		WHERE l.pos > ? ORDER BY l.pos LIMIT ?`, watermark, limit))
	if err != nil {
		return nil, fmt.Errorf("read unsealed audit records: %w", err)
	}
	return rows, nil
}

// scanRecords reads records with their links column by column: the
// sealer reads every record once, and reflection was most of its cost.
func scanRecords(q *gorm.DB) ([]recordRow, error) {
	rs, err := q.Rows()
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var rows []recordRow
	for rs.Next() {
		var r recordRow
		if err := rs.Scan(&r.Pos, &r.Sequence, &r.ID, &r.OccurredAt, &r.ActorType, &r.ActorID, &r.Action, &r.TargetType,
			&r.TargetID, &r.OrganizationID, &r.ClientIP, &r.UserAgent, &r.RequestID, &r.CorrelationID, &r.Details,
			&r.PrevHash, &r.Hash); err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	return rows, rs.Err()
}

// writeSeals inserts the links of recs. A record linked already
// (audit_chain's unique pos) or a sequence taken already fails the
// insert, and the batch rolls back. On PostgreSQL it is one statement of
// the same text whatever the batch's size (the values go as arrays), so
// it is prepared once per connection and costs a few parameters instead
// of four per record; SQLite, which has no arrays, takes them in chunks.
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
		return nil
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
	for i, r := range recs {
		if i > 0 {
			ins.WriteString(", ")
		}
		ins.WriteString("(?, ?, ?, ?)")
		args = append(args, r.Sequence(), r.Pos(), r.PrevHash(), r.Hash())
	}
	if err := conn.Exec(ins.String(), args...).Error; err != nil {
		return fmt.Errorf("seal audit records: %w", err)
	}
	return nil
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

// lookUpByKey makes the rest of a PostgreSQL transaction join by index
// look-ups. A pass reads a few hundred records from tables that grow
// without bound; with statistics that lag behind them, the planner would
// otherwise hash whole tables to join a few hundred rows.
func (s *Store) lookUpByKey(conn *gorm.DB) error {
	if s.db.Dialect() != pgstore.Postgres {
		return nil
	}
	if err := conn.Exec("SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off").Error; err != nil {
		return fmt.Errorf("audit store: %w", err)
	}
	return nil
}

// Backlog implements auditport.Store: what the sealer would take, the
// records above its watermark and those in its gaps that have no link.
// On PostgreSQL it reads in a transaction of its own that joins by key
// (see lookUpByKey); on SQLite a transaction would take the write lock.
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

const unlinked = "NOT EXISTS (SELECT 1 FROM audit_chain AS c WHERE c.pos = l.pos)"

// backlog reads the head, then, for the records above its watermark and
// for each batch of its gaps, the oldest unsealed record as a row (min()
// over a DATETIME comes back from SQLite as text) and then the count;
// read in that order, a count above zero always comes with the time of a
// record that was unsealed, even while the sealer runs. The oldest is
// ordered by an expression, so that the range of positions, not the time
// index, drives the read.
func (s *Store) backlog(conn *gorm.DB) (auditport.Backlog, error) {
	var h headRow
	if err := conn.Where("id = ?", 1).Take(&h).Error; err != nil {
		return auditport.Backlog{}, fmt.Errorf("read audit chain head: %w", err)
	}
	gaps, err := parseGaps(h.Gaps)
	if err != nil {
		return auditport.Backlog{}, err
	}
	byTime := "+l.occurred_at"
	if s.db.Dialect() == pgstore.Postgres {
		byTime = "l.occurred_at + interval '0'"
	}
	var out auditport.Backlog
	add := func(where string, args ...any) error {
		var oldest []recordRow
		if err := conn.Table("audit_logs AS l").Select("l.pos, l.occurred_at").Where(where, args...).Where(unlinked).
			Order(byTime).Limit(1).Find(&oldest).Error; err != nil {
			return fmt.Errorf("oldest unsealed audit record: %w", err)
		}
		if len(oldest) == 0 {
			return nil
		}
		var n int64
		if err := conn.Table("audit_logs AS l").Where(where, args...).Where(unlinked).Count(&n).Error; err != nil {
			return fmt.Errorf("count unsealed audit records: %w", err)
		}
		if n == 0 {
			return nil
		}
		if at := oldest[0].OccurredAt.UTC(); out.Count == 0 || at.Before(out.Oldest) {
			out.Oldest = at
		}
		out.Count += n
		return nil
	}
	if err := add("l.pos > ?", h.Pos); err != nil {
		return auditport.Backlog{}, err
	}
	for len(gaps) > 0 {
		n := min(len(gaps), maxProbedGaps)
		where, args := inGaps(gaps[:n])
		if err := add(where, args...); err != nil {
			return auditport.Backlog{}, err
		}
		gaps = gaps[n:]
	}
	return out, nil
}

// inGaps is a condition on l.pos selecting the positions of gaps.
func inGaps(gaps []gap) (string, []any) {
	var where strings.Builder
	args := make([]any, 0, 2*len(gaps))
	where.WriteByte('(')
	for i, g := range gaps {
		if i > 0 {
			where.WriteString(" OR ")
		}
		where.WriteString("l.pos BETWEEN ? AND ?")
		args = append(args, g.lo, g.hi)
	}
	where.WriteByte(')')
	return where.String(), args
}

// Strays implements auditport.Store: records at or below the sealer's
// watermark that are neither linked nor in its gaps, which no pass will
// ever read (the watermark or the gaps were changed behind the
// application's back). It reads the head first: a record the sealer
// passes over later is then above the watermark read, and one it seals
// later was in the gaps read. It reads every record (verification does
// anyway).
func (s *Store) Strays(ctx context.Context) (auditport.Strays, error) {
	conn := s.db.Conn(ctx)
	var h headRow
	if err := conn.Where("id = ?", 1).Take(&h).Error; err != nil {
		return auditport.Strays{}, fmt.Errorf("read audit chain head: %w", err)
	}
	gaps, err := parseGaps(h.Gaps)
	if err != nil {
		return auditport.Strays{}, err
	}
	rs, err := conn.Table("audit_logs AS l").Select("l.pos, l.id").Where("l.pos <= ?", h.Pos).Where(unlinked).Order("l.pos").Rows()
	if err != nil {
		return auditport.Strays{}, fmt.Errorf("look for stray audit records: %w", err)
	}
	defer rs.Close()
	var out auditport.Strays
	for rs.Next() {
		var (
			pos int64
			id  string
		)
		if err := rs.Scan(&pos, &id); err != nil {
			return auditport.Strays{}, fmt.Errorf("look for stray audit records: %w", err)
		}
		if gapsContain(gaps, pos) {
			continue
		}
		if out.Count == 0 {
			out.First, _ = uuid.Parse(id)
		}
		out.Count++
	}
	if err := rs.Err(); err != nil {
		return auditport.Strays{}, fmt.Errorf("look for stray audit records: %w", err)
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
