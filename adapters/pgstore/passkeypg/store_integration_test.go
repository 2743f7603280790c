//go:build integration

package passkeypg_test

import (
	"os"
	"testing"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/ports/passkeyport/passkeyporttest"
	"github.com/secuird/authy/tests/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

func TestStore_MeetsTheContractOnPostgres(t *testing.T) {
	db := testenv.Migrated(t, pgstore.Options{URL: testenv.NewPostgresDatabase(t), MaxOpenConns: 10})
	passkeyporttest.Run(t, func(t *testing.T) passkeyporttest.Harness { return harness(db) })
}
