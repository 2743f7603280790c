//go:build integration

package contactpg_test

import (
	"os"
	"testing"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/contactpg"
	"github.com/secuird/authy/ports/contactport"
	"github.com/secuird/authy/ports/contactport/contactporttest"
	"github.com/secuird/authy/tests/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

func TestStore_MeetsTheContractOnSQLite(t *testing.T) {
	contactporttest.StoreContract(t, func(t *testing.T) contactport.Store {
		return contactpg.New(testenv.Migrated(t, pgstore.Options{SQLitePath: testenv.SQLiteURL(t)}))
	})
}

func TestStore_MeetsTheContractOnPostgres(t *testing.T) {
	contactporttest.StoreContract(t, func(t *testing.T) contactport.Store {
		return contactpg.New(testenv.Migrated(t, pgstore.Options{URL: testenv.NewPostgresDatabase(t)}))
	})
}
