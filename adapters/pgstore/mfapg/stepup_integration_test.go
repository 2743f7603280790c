//go:build integration

package mfapg_test

import (
	"os"
	"testing"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/ports/mfaport/mfaporttest"
	"github.com/secuird/authy/tests/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

func TestStepUps_ChecksOfOneSessionRacingAllSucceedOnPostgres(t *testing.T) {
	stepUpRace(t, testenv.Migrated(t, pgstore.Options{URL: testenv.NewPostgresDatabase(t), MaxOpenConns: 8}))
}

func TestStore_MeetsTheContractOnPostgres(t *testing.T) {
	db := testenv.Migrated(t, pgstore.Options{URL: testenv.NewPostgresDatabase(t), MaxOpenConns: 10})
	mfaporttest.Run(t, func(t *testing.T) mfaporttest.Harness { return harness(db) })
}
