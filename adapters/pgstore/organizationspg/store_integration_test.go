//go:build integration

package organizationspg_test

import (
	"os"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/organizationspg"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/organizationsport/organizationsporttest"
	"github.com/secuird/authy/tests/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// harness inserts users straight into identity's table: memberships
// reference users(id), and this test must not depend on identity's code.
func harness(db *pgstore.DB) organizationsporttest.Harness {
	s := organizationspg.New(db)
	return organizationsporttest.Harness{
		Repo: s,
		UoW:  s,
		NewUser: func(t *testing.T) shared.UserID {
			t.Helper()
			id := uuid.New()
			email := id.String() + "@example.com"
			now := time.Now().UTC()
			err := db.Gorm().Exec(`INSERT INTO users (id, email, email_normalized, name, password_hash, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, id.String(), email, email, "Test User", "x", now, now).Error
			if err != nil {
				t.Fatalf("insert user: %v", err)
			}
			return shared.UserID(id)
		},
	}
}

func TestStore_ContractOnEverySQLBackend(t *testing.T) {
	for _, backend := range testenv.Databases() {
		t.Run(backend.Name, func(t *testing.T) {
			db := backend.Open(t)
			organizationsporttest.RepositoryContract(t, func(*testing.T) organizationsporttest.Harness { return harness(db) })
		})
	}
}
