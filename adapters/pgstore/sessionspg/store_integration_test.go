//go:build integration

package sessionspg_test

import (
	"context"
	"os"
	"testing"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/ports/sessionsport/sessionsporttest"
	"github.com/secuird/authy/tests/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

func TestStore_MeetsTheStoreContractOnPostgres(t *testing.T) {
	db := testenv.Migrated(t, pgstore.Options{URL: testenv.NewPostgresDatabase(t), MaxOpenConns: 10})
	sessionsporttest.StoreContract(t, func(t *testing.T) sessionsporttest.StoreHarness {
		// One database for the suite, emptied for each subtest.
		if err := db.Gorm().Exec(`TRUNCATE sessions, session_cache_purges`).Error; err != nil {
			t.Fatal(err)
		}
		return harness(db)
	}, sessionsporttest.StoreOptions{Many: 5000})
}

func TestStore_DeletingAUserDeletesItsSessions(t *testing.T) {
	db := testenv.Migrated(t, pgstore.Options{URL: testenv.NewPostgresDatabase(t)})
	h := harness(db)
	user := h.NewUser(t)
	s := sessionsporttest.NewSession(t, user)
	if err := h.Store.Create(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if err := db.Gorm().Exec(`DELETE FROM users WHERE id = ?`, uuid.UUID(user)).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := h.Store.Get(context.Background(), s.ID()); err == nil {
		t.Fatal("a deleted user's session survived")
	}
}
