package identitypg_test

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/secuird/authy/adapters/memstore/identitymem"
	"github.com/secuird/authy/adapters/pgstore/identitypg"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/identityport/identityporttest"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/tests/testenv"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestStore_KeepsTheUserRepositoryContractOnSQLite(t *testing.T) {
	identityporttest.RunUserRepository(t, func(t *testing.T) (identityport.UserRepository, platformport.UnitOfWork) {
		db := testenv.SQLite(t)
		return identitypg.New(db), db
	})
}

func TestTokenStore_KeepsTheTokenRepositoryContractOnSQLite(t *testing.T) {
	identityporttest.RunTokenRepository(t, func(t *testing.T) (identityport.UserRepository, identityport.TokenRepository, platformport.UnitOfWork) {
		db := testenv.SQLite(t)
		s := identitypg.New(db)
		return s, s.Tokens(), db
	})
}

func TestCachedStore_KeepsTheUserRepositoryContractOnSQLiteWithTheInProcessCache(t *testing.T) {
	identityporttest.RunUserRepository(t, func(t *testing.T) (identityport.UserRepository, platformport.UnitOfWork) {
		db := testenv.SQLite(t)
		c, err := identitypg.NewCached(identitypg.New(db), identitymem.NewProfileCache(time.Minute), platformport.SystemClock, quiet)
		if err != nil {
			t.Fatal(err)
		}
		return c, db
	})
}
