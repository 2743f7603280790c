package oauthpg_test

import (
	"testing"

	"github.com/secuird/authy/ports/oauthport"
	"github.com/secuird/authy/ports/oauthport/oauthporttest"
)

// The SQLite backend runs in every test run: a file in the test's
// temporary directory, no service needed.

func TestClients_MeetTheContractOnSQLite(t *testing.T) {
	oauthporttest.ClientRepositoryContract(t, func(t *testing.T) oauthporttest.ClientHarness { return clientHarness(sqlite(t)) })
}

func TestKeys_MeetTheContractOnSQLite(t *testing.T) {
	oauthporttest.KeyRepositoryContract(t, func(t *testing.T) oauthport.KeyRepository { return keyRepo(sqlite(t)) })
}

func TestTokens_MeetTheContractOnSQLite(t *testing.T) {
	oauthporttest.TokenStoreContract(t, func(t *testing.T) oauthporttest.TokenHarness { return tokenHarness(sqlite(t)) })
}

func TestConsents_MeetTheContractOnSQLite(t *testing.T) {
	oauthporttest.ConsentRepositoryContract(t, func(t *testing.T) oauthporttest.ConsentHarness { return consentHarness(sqlite(t)) })
}

func TestAuthorizeRequests_MeetTheContractOnSQLite(t *testing.T) {
	oauthporttest.AuthorizeRequestStoreContract(t, func(t *testing.T) oauthporttest.ParkHarness { return parkHarness(sqlite(t)) })
}
