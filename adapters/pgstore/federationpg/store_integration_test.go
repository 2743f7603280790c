//go:build integration

package federationpg_test

import (
	"os"
	"testing"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/ports/federationport/federationporttest"
	"github.com/secuird/authy/tests/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

func TestStore_MeetsTheContractOnPostgres(t *testing.T) {
	db := testenv.Migrated(t, pgstore.Options{URL: testenv.NewPostgresDatabase(t), MaxOpenConns: 10})
	federationporttest.Run(t, func(t *testing.T) federationporttest.Harness { return harness(db) })
}
