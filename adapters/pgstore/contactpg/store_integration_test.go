//go:build integration

package contactpg_test

import (
	"context"
	"os"
	"testing"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/contactpg"
	"github.com/secuird/authy/migrations"
	"github.com/secuird/authy/ports/contactport"
	"github.com/secuird/authy/ports/contactport/contactporttest"
	"github.com/secuird/authy/tests/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

func open(t *testing.T, o pgstore.Options) *pgstore.DB {
	t.Helper()
	db, err := pgstore.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	m, err := pgstore.NewMigrator(db, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestStore_MeetsTheContractOnSQLite(t *testing.T) {
	contactporttest.StoreContract(t, func(t *testing.T) contactport.Store {
		return contactpg.New(open(t, pgstore.Options{SQLitePath: testenv.SQLiteURL(t)}))
	})
}

func TestStore_MeetsTheContractOnPostgres(t *testing.T) {
	contactporttest.StoreContract(t, func(t *testing.T) contactport.Store {
		return contactpg.New(open(t, pgstore.Options{URL: testenv.NewPostgresDatabase(t)}))
	})
}
