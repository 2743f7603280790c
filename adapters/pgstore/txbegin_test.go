package pgstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/secuird/authy/adapters/pgstore"
)

func countRows(t *testing.T, db *pgstore.DB) int64 {
	t.Helper()
	var n int64
	if err := db.Gorm().Raw(`SELECT count(*) FROM begin_probe`).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func probeDB(t *testing.T) *pgstore.DB {
	t.Helper()
	db := openSQLite(t, pgstore.Options{})
	if err := db.Gorm().Exec(`CREATE TABLE begin_probe (id INTEGER PRIMARY KEY)`).Error; err != nil {
		t.Fatal(err)
	}
	return db
}

func TestBegin_CommitKeepsWhatTheTransactionWroteAndRunsItsHooksAfterwards(t *testing.T) {
	db := probeDB(t)
	ctx, err := db.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Conn(ctx).Exec(`INSERT INTO begin_probe (id) VALUES (1)`).Error; err != nil {
		t.Fatal(err)
	}
	ran := false
	db.AfterCommit(ctx, func(context.Context) { ran = true })
	if ran {
		t.Fatal("an after-commit hook ran before the commit")
	}
	if err := db.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if !ran || countRows(t, db) != 1 {
		t.Fatalf("hook ran %v, rows %d", ran, countRows(t, db))
	}
	if err := db.Rollback(ctx); err != nil {
		t.Fatalf("a rollback after the commit: %v", err)
	}
}

func TestBegin_RollbackDiscardsAndAnInnerBeginLeavesTheDecisionToTheOuter(t *testing.T) {
	db := probeDB(t)
	outer, err := db.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	inner, err := db.Begin(outer)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Conn(inner).Exec(`INSERT INTO begin_probe (id) VALUES (1)`).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Commit(inner); err != nil {
		t.Fatal(err)
	}
	if err := db.Rollback(outer); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, db); n != 0 {
		t.Fatalf("the inner commit committed: %d rows", n)
	}
	if err := db.Commit(context.Background()); !errors.Is(err, pgstore.ErrNoTransaction) {
		t.Fatalf("commit without a transaction: %v", err)
	}
}
