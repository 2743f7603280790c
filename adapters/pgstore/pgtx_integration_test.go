//go:build integration

package pgstore_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/tests/testenv"
)

func pgWithTable(t *testing.T) *pgstore.DB {
	t.Helper()
	db := open(t, pgstore.Options{URL: testenv.NewPostgresDatabase(t), MaxOpenConns: 4})
	if err := db.Gorm().Exec(`CREATE TABLE notes (k text PRIMARY KEY, at bigint NOT NULL)`).Error; err != nil {
		t.Fatal(err)
	}
	return db
}

func notes(t *testing.T, db *pgstore.DB) []string {
	t.Helper()
	var ks []string
	if err := db.Gorm().Raw(`SELECT k FROM notes ORDER BY at, k`).Scan(&ks).Error; err != nil {
		t.Fatal(err)
	}
	return ks
}

func TestExecWithCommit_RunsAfterTheTransactionsStatementsAndCommitsWithThem(t *testing.T) {
	db := pgWithTable(t)
	ctx := context.Background()
	err := db.Transaction(ctx, func(ctx context.Context) error {
		if err := db.ExecWithCommit(ctx, "second", `INSERT INTO notes (k, at) VALUES ($1, $2)`, "queued-1", 1); err != nil {
			return err
		}
		if err := db.ExecWithCommit(ctx, "third", `INSERT INTO notes (k, at) VALUES ($1, (SELECT max(at) + 1 FROM notes))`, "queued-2"); err != nil {
			return err
		}
		// Nothing queued is visible yet, to the transaction or anyone.
		var n int64
		if err := db.Conn(ctx).Raw(`SELECT count(*) FROM notes`).Scan(&n).Error; err != nil || n != 0 {
			return errors.New("a queued statement ran before the commit")
		}
		return db.Conn(ctx).Exec(`INSERT INTO notes (k, at) VALUES (?, ?)`, "direct", 0).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := notes(t, db); len(got) != 3 || got[0] != "direct" || got[1] != "queued-1" || got[2] != "queued-2" {
		t.Fatalf("notes %v, want the transaction's statement, then the queued ones in order", got)
	}
	// Without a transaction it runs at once.
	if err := db.ExecWithCommit(ctx, "alone", `INSERT INTO notes (k, at) VALUES ($1, $2)`, "alone", 9); err != nil {
		t.Fatal(err)
	}
	if got := notes(t, db); len(got) != 4 {
		t.Fatalf("notes %v", got)
	}
}

func TestExecWithCommit_AQueuedStatementThatFailsRollsTheWholeTransactionBack(t *testing.T) {
	db := pgWithTable(t)
	ctx := context.Background()
	var hooks atomic.Int32
	err := db.Transaction(ctx, func(ctx context.Context) error {
		if err := db.Conn(ctx).Exec(`INSERT INTO notes (k, at) VALUES (?, ?)`, "change", 0).Error; err != nil {
			return err
		}
		db.AfterCommit(ctx, func(context.Context) { hooks.Add(1) })
		// A duplicate key: the database refuses it only at the commit.
		return db.ExecWithCommit(ctx, "insert the record", `INSERT INTO notes (k, at) VALUES ($1, $2)`, "change", 1)
	})
	if err == nil {
		t.Fatal("a transaction whose queued statement fails must fail")
	}
	if got := notes(t, db); len(got) != 0 {
		t.Fatalf("notes %v survived the rollback", got)
	}
	if hooks.Load() != 0 {
		t.Fatal("after-commit hooks ran for a rolled-back transaction")
	}
	// The connection went back to the pool usable, outside any transaction.
	for i := 0; i < 8; i++ {
		if err := db.Transaction(ctx, func(ctx context.Context) error {
			return db.ExecWithCommit(ctx, "again", `INSERT INTO notes (k, at) VALUES ($1, $2)`, "again-"+string(rune('a'+i)), i)
		}); err != nil {
			t.Fatal(err)
		}
	}
	if got := notes(t, db); len(got) != 8 {
		t.Fatalf("notes %v", got)
	}
}

func TestPostgresTransaction_ItsContextEndingRollsItBackAndFreesTheConnection(t *testing.T) {
	db := open(t, pgstore.Options{URL: testenv.NewPostgresDatabase(t), MaxOpenConns: 1})
	if err := db.Gorm().Exec(`CREATE TABLE notes (k text PRIMARY KEY, at bigint NOT NULL)`).Error; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	tctx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Conn(tctx).Exec(`INSERT INTO notes (k, at) VALUES (?, ?)`, "abandoned", 0).Error; err != nil {
		t.Fatal(err)
	}
	<-ctx.Done()
	// The pool's only connection is free again, and the insert is gone.
	qctx, qcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer qcancel()
	var n int64
	if err := db.Conn(qctx).Raw(`SELECT count(*) FROM notes`).Scan(&n).Error; err != nil || n != 0 {
		t.Fatalf("count %d, %v: the abandoned transaction must roll back and free its connection", n, err)
	}
	if err := db.Commit(tctx); err == nil {
		t.Fatal("committing a transaction rolled back at its deadline must fail")
	}
}
