package mailpg_test

import (
	"testing"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/mailpg"
	"github.com/secuird/authy/ports/mailport/mailporttest"
	"github.com/secuird/authy/tests/testenv"
)

// The SQLite backend runs in every test run: it is a file in the test's
// temporary directory, no service needed.
func TestOutbox_MeetsTheContractOnSQLite(t *testing.T) {
	mailporttest.OutboxContract(t, func(t *testing.T) mailporttest.Harness {
		return harness(testenv.Migrated(t, pgstore.Options{SQLitePath: testenv.SQLiteURL(t), MaxOpenConns: 10}))
	})
}

func harness(db *pgstore.DB) mailporttest.Harness {
	return mailporttest.Harness{Outbox: mailpg.New(db), Transaction: db.Transaction}
}
