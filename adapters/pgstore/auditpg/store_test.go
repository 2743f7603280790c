package auditpg_test

import (
	"context"
	"testing"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/auditpg"
	"github.com/secuird/authy/ports/auditport/auditporttest"
	"github.com/secuird/authy/tests/testenv"
)

// harness runs the contract on db, with a scratch table standing for the
// change of another context that shares the transaction.
func harness(t *testing.T, db *pgstore.DB) auditporttest.Harness {
	t.Helper()
	if err := db.Gorm().Exec(`CREATE TABLE scratch_changes (k TEXT PRIMARY KEY)`).Error; err != nil {
		t.Fatal(err)
	}
	s := auditpg.New(db)
	return auditporttest.Harness{
		Store:           s,
		UoW:             db,
		SerialWriters:   db.Dialect() == pgstore.SQLite,
		InsertsAtCommit: db.Dialect() == pgstore.Postgres,
		Change: func(ctx context.Context, key string) error {
			return db.Conn(ctx).Exec(`INSERT INTO scratch_changes (k) VALUES (?)`, key).Error
		},
		Changed: func(ctx context.Context, key string) (bool, error) {
			var n int64
			err := db.Conn(ctx).Raw(`SELECT count(*) FROM scratch_changes WHERE k = ?`, key).Scan(&n).Error
			return n == 1, err
		},
	}
}

func TestStore_KeepsTheContractOnSQLite(t *testing.T) {
	auditporttest.Run(t, func(t *testing.T) auditporttest.Harness {
		return harness(t, testenv.SQLite(t))
	})
}
