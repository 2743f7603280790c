//go:build integration

package identitypg_test

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/identitypg"
	"github.com/secuird/authy/migrations"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/identityport/identityporttest"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/tests/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

func TestTokenStore_KeepsTheTokenRepositoryContractOnPostgres(t *testing.T) {
	db := testenv.Migrated(t, pgstore.Options{URL: testenv.NewPostgresDatabase(t)})
	identityporttest.RunTokenRepository(t, func(t *testing.T) (identityport.UserRepository, identityport.TokenRepository, platformport.UnitOfWork) {
		s := identitypg.New(db)
		return s, s.Tokens(), db
	})
}

func TestStore_KeepsTheUserRepositoryContractOnPostgres(t *testing.T) {
	// One migrated database for the whole suite: every contract test uses
	// unique emails, so the tests do not see each other.
	var (
		once sync.Once
		db   *pgstore.DB
	)
	identityporttest.RunUserRepository(t, func(t *testing.T) (identityport.UserRepository, platformport.UnitOfWork) {
		once.Do(func() {
			url := testenv.PostgresURL(t)
			var err error
			db, err = pgstore.Open(pgstore.Options{URL: url})
			if err != nil {
				t.Fatal(err)
			}
			m, err := pgstore.NewMigrator(db, migrations.FS)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.Up(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
		return identitypg.New(db), db
	})
	if db != nil {
		_ = db.Close()
	}
}
