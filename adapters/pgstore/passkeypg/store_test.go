package passkeypg_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/identitypg"
	"github.com/secuird/authy/adapters/pgstore/passkeypg"
	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/passkeyport/passkeyporttest"
	"github.com/secuird/authy/tests/testenv"
)

func harness(db *pgstore.DB) passkeyporttest.Harness {
	s := passkeypg.New(db)
	users := identitypg.New(db)
	return passkeyporttest.Harness{
		Credentials: s.Credentials(), Ceremonies: s.Ceremonies(),
		NewUser: func(t *testing.T) shared.UserID {
			t.Helper()
			id := shared.UserID(uuid.New())
			email, _ := identity.ParseEmail(uuid.NewString() + "@example.com")
			name, _ := identity.ParseName("U")
			u, err := identity.NewUser(id, email, name, identity.PasswordHash{}, time.Now().UTC())
			if err != nil {
				t.Fatal(err)
			}
			if err := users.Add(context.Background(), u); err != nil {
				t.Fatal(err)
			}
			return id
		},
	}
}

func TestStore_MeetsTheContractOnSQLite(t *testing.T) {
	passkeyporttest.Run(t, func(t *testing.T) passkeyporttest.Harness {
		return harness(testenv.Migrated(t, pgstore.Options{SQLitePath: testenv.SQLiteURL(t)}))
	})
}
