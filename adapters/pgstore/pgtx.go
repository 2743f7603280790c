package pgstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"
)

// On PostgreSQL GORM runs on pgPool instead of the *sql.DB, so that a
// transaction is a connection of the pool on which pgTx sends BEGIN and
// COMMIT itself: statements queued with ExecWithCommit then travel to the
// server in the same round trip as the COMMIT (one pgx batch, one Sync).
// A transaction that queued nothing costs what a database/sql transaction
// costs: BEGIN, its statements, COMMIT.

// pgPool is GORM's connection pool on PostgreSQL: the *sql.DB, whose
// transactions are pgTx.
type pgPool struct{ db *sql.DB }

var (
	_ gorm.ConnPool         = (*pgPool)(nil)
	_ gorm.ConnPoolBeginner = (*pgPool)(nil)
	_ gorm.GetDBConnector   = (*pgPool)(nil)
	_ gorm.ConnPool         = (*pgTx)(nil)
	_ gorm.TxCommitter      = (*pgTx)(nil)
	_ gorm.GetDBConnector   = (*pgTx)(nil)
)

func (p *pgPool) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return p.db.PrepareContext(ctx, query)
}

func (p *pgPool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return p.db.ExecContext(ctx, query, args...)
}

func (p *pgPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return p.db.QueryContext(ctx, query, args...)
}

func (p *pgPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return p.db.QueryRowContext(ctx, query, args...)
}

// GetDBConn implements gorm.GetDBConnector, so gorm.DB.DB() is the pool.
func (p *pgPool) GetDBConn() (*sql.DB, error) { return p.db, nil }

// BeginTx implements gorm.ConnPoolBeginner: a connection of its own with
// a transaction begun on it. Options other than the defaults are refused
// rather than ignored (nothing in the server asks for them).
func (p *pgPool) BeginTx(ctx context.Context, opts *sql.TxOptions) (gorm.ConnPool, error) {
	if opts != nil && (opts.ReadOnly || opts.Isolation != sql.LevelDefault) {
		return nil, errors.New("pgstore: transaction options are not supported")
	}
	conn, err := p.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		_ = conn.Close()
		return nil, err
	}
	t := &pgTx{db: p.db, conn: conn, ctx: ctx}
	// As database/sql does for a *sql.Tx: a transaction whose context ends
	// before it does is rolled back, and its connection freed. (Set under
	// the lock: the function may run at once, and reads it.)
	t.mu.Lock()
	t.stop = context.AfterFunc(ctx, func() { _ = t.Rollback() })
	t.mu.Unlock()
	return t, nil
}

// pgTx is one PostgreSQL transaction on a connection of its own. It is
// used by one goroutine at a time, like a *sql.Tx.
type pgTx struct {
	db   *sql.DB
	conn *sql.Conn
	// ctx is BeginTx's: COMMIT and the queued statements run under its
	// deadline (GORM's Commit takes none).
	ctx context.Context

	mu     sync.Mutex
	stop   func() bool
	queued []queuedExec
	done   bool
}

// queuedExec is a statement ExecWithCommit queued: what it is for (in its
// error), the SQL with PostgreSQL placeholders, and its arguments.
type queuedExec struct {
	what  string
	query string
	args  []any
}

func (t *pgTx) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return t.conn.PrepareContext(ctx, query)
}

func (t *pgTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.conn.ExecContext(ctx, query, args...)
}

func (t *pgTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.conn.QueryContext(ctx, query, args...)
}

func (t *pgTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return t.conn.QueryRowContext(ctx, query, args...)
}

// GetDBConn implements gorm.GetDBConnector.
func (t *pgTx) GetDBConn() (*sql.DB, error) { return t.db, nil }

func (t *pgTx) queue(q queuedExec) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return sql.ErrTxDone
	}
	t.queued = append(t.queued, q)
	return nil
}

// errCommitRolledBack is a COMMIT the server answered with ROLLBACK: the
// transaction had already failed.
var errCommitRolledBack = errors.New("pgstore: the transaction was rolled back instead of committed")

// Commit implements gorm.TxCommitter: the queued statements, in order, and
// COMMIT in one round trip. When a queued statement fails, the server
// skips the rest of the batch (COMMIT included); the transaction is rolled
// back and the statement's error returned, so nothing of it commits.
func (t *pgTx) Commit() error {
	t.mu.Lock()
	if t.done {
		t.mu.Unlock()
		return sql.ErrTxDone
	}
	t.done = true
	queued, stop := t.queued, t.stop
	t.queued = nil
	t.mu.Unlock()
	stop()
	err := t.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("pgstore: unexpected driver connection %T", dc)
		}
		if len(queued) == 0 {
			tag, err := c.Conn().Exec(t.ctx, "COMMIT")
			if err == nil && tag.String() == "ROLLBACK" {
				err = errCommitRolledBack
			}
			return err
		}
		b := &pgx.Batch{}
		for _, q := range queued {
			b.Queue(q.query, q.args...)
		}
		b.Queue("COMMIT")
		br := c.Conn().SendBatch(t.ctx, b)
		var err error
		for _, q := range queued {
			if _, err = br.Exec(); err != nil {
				err = fmt.Errorf("%s: %w", q.what, err)
				break
			}
		}
		if err == nil {
			var tag pgconn.CommandTag
			if tag, err = br.Exec(); err == nil && tag.String() == "ROLLBACK" {
				err = errCommitRolledBack
			}
		}
		if cerr := br.Close(); err == nil && cerr != nil {
			err = cerr
		}
		return err
	})
	if err != nil {
		t.rollback()
		return err
	}
	return t.conn.Close()
}

// Rollback implements gorm.TxCommitter; after Commit (which rolls back
// itself when it fails) it does nothing but say so.
func (t *pgTx) Rollback() error {
	t.mu.Lock()
	if t.done {
		t.mu.Unlock()
		return sql.ErrTxDone
	}
	t.done = true
	stop := t.stop
	t.queued = nil
	t.mu.Unlock()
	stop()
	return t.rollback()
}

// rollback ends the transaction and returns the connection to the pool. A
// connection that cannot even roll back (its context ended mid-statement,
// the server went away) is discarded instead of handed to the next caller
// in an unknown state.
func (t *pgTx) rollback() error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(t.ctx), 5*time.Second)
	defer cancel()
	_, err := t.conn.ExecContext(ctx, "ROLLBACK")
	if err != nil {
		_ = t.conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	_ = t.conn.Close()
	return err
}

// ExecWithCommit runs a statement that must commit with the transaction ctx
// carries but whose result nobody reads (an audit record written beside
// the change it describes). On PostgreSQL inside a transaction it is
// queued and sent with the COMMIT, in the same round trip, after every
// statement the transaction ran before; if it fails, the transaction rolls
// back and the commit returns its error, wrapped with what. Elsewhere
// (without a transaction, or a transaction not opened by this DB on
// PostgreSQL) it runs at once. query uses PostgreSQL placeholders ($1, …):
// SQLite callers write their statements through Conn.
func (d *DB) ExecWithCommit(ctx context.Context, what, query string, args ...any) error {
	if d.dialect != Postgres {
		return errors.New("pgstore: ExecWithCommit is for PostgreSQL")
	}
	if tx, ok := ctx.Value(txKey{d}).(*gorm.DB); ok {
		if pt, ok := tx.Statement.ConnPool.(*pgTx); ok {
			return pt.queue(queuedExec{what: what, query: query, args: args})
		}
	}
	bctx, cancel := withBound(ctx, d.bound)
	defer cancel()
	if _, err := d.Conn(bctx).Statement.ConnPool.ExecContext(bctx, query, args...); err != nil {
		return fmt.Errorf("%s: %w", what, AsUnavailable(err))
	}
	return nil
}
