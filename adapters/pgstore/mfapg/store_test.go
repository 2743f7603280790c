package mfapg_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/identitypg"
	"github.com/secuird/authy/adapters/pgstore/mfapg"
	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/mfaport/mfaporttest"
	"github.com/secuird/authy/tests/testenv"
)

func harness(db *pgstore.DB) mfaporttest.Harness {
	s := mfapg.New(db)
	users := identitypg.New(db)
	return mfaporttest.Harness{
		Factors: s.Factors(), RecoveryCodes: s.RecoveryCodes(), Challenges: s.Challenges(), StepUps: s.StepUps(),
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
	mfaporttest.Run(t, func(t *testing.T) mfaporttest.Harness {
		return harness(testenv.Migrated(t, pgstore.Options{SQLitePath: testenv.SQLiteURL(t)}))
	})
}
