package organizationspg_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/organizationspg"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/organizationsport/organizationsporttest"
	"github.com/secuird/authy/tests/testenv"
)

// harness inserts users straight into identity's table: memberships
// reference users(id), and this test must not depend on identity's code.
func harness(db *pgstore.DB) organizationsporttest.Harness {
	s := organizationspg.New(db)
	return organizationsporttest.Harness{
		Repo: s,
		UoW:  db,
		NewUser: func(t *testing.T) shared.UserID {
			t.Helper()
			id := uuid.New()
			testenv.StoreUser(t, db, id)
			return shared.UserID(id)
		},
	}
}

func TestStore_KeepsTheRepositoryContractOnSQLite(t *testing.T) {
	db := testenv.SQLite(t)
	organizationsporttest.RepositoryContract(t, func(*testing.T) organizationsporttest.Harness { return harness(db) })
}
