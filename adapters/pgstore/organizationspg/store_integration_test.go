//go:build integration

package organizationspg_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/organizationspg"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/migrations"
	"github.com/secuird/authy/ports/organizationsport/organizationsporttest"
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

func TestStore_ContractOnSQLite(t *testing.T) {
	db := open(t, pgstore.Options{SQLitePath: testenv.SQLiteURL(t)})
	organizationsporttest.RepositoryContract(t, func(*testing.T) organizationsporttest.Harness { return harness(db) })
}

func TestStore_ContractOnPostgres(t *testing.T) {
	db := open(t, pgstore.Options{URL: testenv.NewPostgresDatabase(t)})
	organizationsporttest.RepositoryContract(t, func(*testing.T) organizationsporttest.Harness { return harness(db) })
}
