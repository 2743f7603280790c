//go:build integration

package oauthpg_test

import (
	"os"
	"testing"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/ports/oauthport"
	"github.com/secuird/authy/ports/oauthport/oauthporttest"
	"github.com/secuird/authy/tests/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

func postgres(t *testing.T) *pgstore.DB {
	t.Helper()
	return testenv.Migrated(t, pgstore.Options{URL: testenv.NewPostgresDatabase(t), MaxOpenConns: 10})
}

func TestClients_MeetTheContractOnPostgres(t *testing.T) {
	db := postgres(t)
	oauthporttest.ClientRepositoryContract(t, func(t *testing.T) oauthporttest.ClientHarness { return clientHarness(db) })
}

func TestKeys_MeetTheContractOnPostgres(t *testing.T) {
	db := postgres(t)
	oauthporttest.KeyRepositoryContract(t, func(t *testing.T) oauthport.KeyRepository {
		if err := db.Gorm().Exec(`TRUNCATE oauth_keys`).Error; err != nil {
			t.Fatal(err)
		}
		return keyRepo(db)
	})
}

func TestTokens_MeetTheContractOnPostgres(t *testing.T) {
	db := postgres(t)
	oauthporttest.TokenStoreContract(t, func(t *testing.T) oauthporttest.TokenHarness { return tokenHarness(db) })
}

func TestConsents_MeetTheContractOnPostgres(t *testing.T) {
	db := postgres(t)
	oauthporttest.ConsentRepositoryContract(t, func(t *testing.T) oauthporttest.ConsentHarness { return consentHarness(db) })
}

func TestAuthorizeRequests_MeetTheContractOnPostgres(t *testing.T) {
	db := postgres(t)
	oauthporttest.AuthorizeRequestStoreContract(t, func(t *testing.T) oauthporttest.ParkHarness {
		if err := db.Gorm().Exec(`TRUNCATE oauth_authorize_requests`).Error; err != nil {
			t.Fatal(err)
		}
		return parkHarness(db)
	})
}
