//go:build integration

package mailpg_test

import (
	"os"
	"testing"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/ports/mailport/mailporttest"
	"github.com/secuird/authy/tests/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

func TestOutbox_MeetsTheContractOnPostgres(t *testing.T) {
	mailporttest.OutboxContract(t, func(t *testing.T) mailporttest.Harness {
		return harness(testenv.Migrated(t, pgstore.Options{URL: testenv.NewPostgresDatabase(t), MaxOpenConns: 10}))
	})
}
