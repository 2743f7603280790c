//go:build integration

package contactpg_test

import (
	"os"
	"testing"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/ports/contactport/contactporttest"
	"github.com/secuird/authy/tests/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

func postgres(t *testing.T) *pgstore.DB {
	return testenv.Migrated(t, pgstore.Options{URL: testenv.NewPostgresDatabase(t)})
}

func TestStore_MeetsTheContractOnPostgres(t *testing.T) {
	contactporttest.StoreContract(t, func(t *testing.T) contactporttest.Harness { return harness(postgres(t)) })
}

func TestLegacyMail_HandsOverPendingRowsOnceOnPostgres(t *testing.T) { legacyMailCases(t, postgres) }
