package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/platformport"
)

// DB is the one implementation of the unit of work every context uses.
var _ platformport.UnitOfWork = (*DB)(nil)

type txKey struct{ db *DB }

type afterCommitKey struct{ db *DB }

type afterCommitQueue struct{ fns []func(context.Context) }

// Conn returns the transaction carried by ctx for this DB, or a plain
// session bound to ctx. Every repository query starts here, so a repository
// joins whatever unit of work its caller opened.
func (d *DB) Conn(ctx context.Context) *gorm.DB {
	if tx, ok := ctx.Value(txKey{d}).(*gorm.DB); ok {
		return tx
	}
	return d.gorm.WithContext(ctx)
}

// InTx reports whether ctx carries a transaction of this DB.
func (d *DB) InTx(ctx context.Context) bool {
	_, ok := ctx.Value(txKey{d}).(*gorm.DB)
	return ok
}

// Transaction runs fn in a transaction carried by the context it receives.
// When ctx already carries one, fn joins it (no savepoint): the outermost
// caller owns commit and rollback. An error from fn rolls back. On
// PostgreSQL a serialization failure or deadlock retries the whole fn up to
// three times, which is safe because transaction closures do no other I/O.
// A transaction whose ctx has no deadline gets the DB's default bound, and
// one the database did not serve (or that outlived its deadline) fails with
// ErrUnavailable. Statements queued with ExecWithCommit run last, with the
// COMMIT.
func (d *DB) Transaction(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	if d.InTx(ctx) {
		return fn(ctx)
	}
	bctx, cancel := withBound(ctx, d.bound)
	defer cancel()
	defer func() { err = settleTx(bctx, err) }()
	for attempt := 0; attempt < 3; attempt++ {
		queue := &afterCommitQueue{}
		err = d.gorm.WithContext(bctx).Transaction(func(tx *gorm.DB) error {
			txCtx := context.WithValue(context.WithValue(bctx, txKey{d}, tx), afterCommitKey{d}, queue)
			return fn(txCtx)
		})
		if err == nil {
			for _, f := range queue.fns {
				f(ctx)
			}
			return nil
		}
		if !isRetryable(err) {
			return err
		}
	}
	return fmt.Errorf("transaction retried 3 times: %w", err)
}

// AfterCommit runs f once the transaction carried by ctx has committed (and
// never if it rolls back); without a transaction it runs f at once. Caches
// are updated this way: the database commits first, then the cache follows,
// so a reader can never see a cached state the database does not hold.
func (d *DB) AfterCommit(ctx context.Context, f func(ctx context.Context)) {
	if q, ok := ctx.Value(afterCommitKey{d}).(*afterCommitQueue); ok {
		q.fns = append(q.fns, f)
		return
	}
	f(ctx)
}

// ForUpdate adds a row lock to q on PostgreSQL. SQLite needs none: its
// immediate transactions already hold the single write lock.
func (d *DB) ForUpdate(q *gorm.DB) *gorm.DB {
	if d.dialect == Postgres {
		return q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return q
}

// SkipLocked adds FOR UPDATE SKIP LOCKED on PostgreSQL, for work queues where
// several workers claim rows.
func (d *DB) SkipLocked(q *gorm.DB) *gorm.DB {
	if d.dialect == Postgres {
		return q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
	}
	return q
}

// settleTx translates a failed transaction: the database did not serve it,
// or its deadline passed (database/sql then rolls back and later statements
// fail with sql.ErrTxDone), so it failed for want of the database.
func settleTx(ctx context.Context, err error) error {
	if err == nil || shared.KindOf(err) != shared.KindUnknown {
		return err
	}
	if ctx.Err() != nil {
		return ErrUnavailable.WithCause(err)
	}
	return AsUnavailable(err)
}

func isRetryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	return false
}
