package sessionspg_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/sessionspg"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/sessionsport/sessionsporttest"
	"github.com/secuird/authy/tests/testenv"
)

func harness(db *pgstore.DB) sessionsporttest.StoreHarness {
	return sessionsporttest.StoreHarness{
		Store: sessionspg.New(db), UoW: db,
		NewUser: func(t *testing.T) shared.UserID {
			t.Helper()
			id := uuid.New()
			testenv.StoreUser(t, db, id)
			return shared.UserID(id)
		},
	}
}

func TestStore_MeetsTheStoreContractOnSQLite(t *testing.T) {
	sessionsporttest.StoreContract(t, func(t *testing.T) sessionsporttest.StoreHarness {
		return harness(testenv.SQLite(t))
	}, sessionsporttest.StoreOptions{})
}
