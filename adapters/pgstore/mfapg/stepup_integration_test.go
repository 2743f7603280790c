//go:build integration

package mfapg_test

import (
	"testing"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/tests/testenv"
)

func TestStepUps_ChecksOfOneSessionRacingAllSucceedOnPostgres(t *testing.T) {
	stepUpRace(t, testenv.Migrated(t, pgstore.Options{URL: testenv.NewPostgresDatabase(t), MaxOpenConns: 8}))
}
