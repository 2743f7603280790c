package oauthpg_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/openid"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/oauthpg"
	"github.com/secuird/authy/domain/oauth"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/oauthport"
	"github.com/secuird/authy/ports/oauthport/oauthporttest"
	"github.com/secuird/authy/tests/testenv"
)

var lifetimes = oauthpg.Lifetimes{AccessToken: time.Hour, RefreshToken: 30 * 24 * time.Hour, AuthorizeCode: time.Minute}

func sqlite(t *testing.T) *pgstore.DB {
	return testenv.Migrated(t, pgstore.Options{SQLitePath: testenv.SQLiteURL(t)})
}

func newOrganization(db *pgstore.DB) func(t *testing.T) shared.OrganizationID {
	return func(t *testing.T) shared.OrganizationID {
		t.Helper()
		id := uuid.New()
		now := time.Now().UTC()
		err := db.Gorm().Exec(`INSERT INTO organizations (id, name, slug, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
			id.String(), "Contract Org", "contract-"+id.String()[:8], now, now).Error
		if err != nil {
			t.Fatal(err)
		}
		return shared.OrganizationID(id)
	}
}

func newClientRow(db *pgstore.DB) func(t *testing.T) string {
	orgs := newOrganization(db)
	repo := oauthpg.NewClients(db)
	return func(t *testing.T) string {
		t.Helper()
		id, _ := oauth.ParseClientID("tokens-" + uuid.NewString()[:13])
		c, err := oauth.NewClient(id, orgs(t), oauth.ClientSpec{Name: "Token Client", GrantTypes: []string{"client_credentials"}},
			oauth.NewSecretHash("x"), shared.UserID{}, time.Now().UTC())
		if err != nil {
			t.Fatal(err)
		}
		if err := repo.Create(context.Background(), c); err != nil {
			t.Fatal(err)
		}
		return id.String()
	}
}

func clientHarness(db *pgstore.DB) oauthporttest.ClientHarness {
	repo := oauthpg.NewClients(db)
	tokens := oauthpg.NewTokens(db, lifetimes, nil)
	return oauthporttest.ClientHarness{
		Repo: repo, UoW: db,
		NewOrganization: newOrganization(db),
		DeleteOrganization: func(t *testing.T, org shared.OrganizationID) {
			t.Helper()
			if err := db.Gorm().Exec(`UPDATE organizations SET deleted_at = ? WHERE id = ?`, time.Now().UTC(), org.String()).Error; err != nil {
				t.Fatal(err)
			}
		},
		AddToken: func(t *testing.T, clientID string) {
			t.Helper()
			req := &fosite.Request{ID: uuid.NewString(), RequestedAt: time.Now().UTC(), Client: &fosite.DefaultClient{ID: clientID},
				Session: &openid.DefaultSession{}}
			if err := tokens.CreateAccessTokenSession(context.Background(), uuid.NewString(), req); err != nil {
				t.Fatal(err)
			}
		},
		TokenCount: func(t *testing.T, clientID string) int {
			t.Helper()
			var n int64
			if err := db.Gorm().Raw(`SELECT count(*) FROM oauth_tokens WHERE client_id = ?`, clientID).Scan(&n).Error; err != nil {
				t.Fatal(err)
			}
			return int(n)
		},
	}
}

func tokenHarness(db *pgstore.DB) oauthporttest.TokenHarness {
	return oauthporttest.TokenHarness{
		Store:     oauthpg.NewTokens(db, lifetimes, nil),
		NewClient: newClientRow(db),
		RawData: func(t *testing.T, requestID string) string {
			t.Helper()
			var rows []string
			if err := db.Gorm().Raw(`SELECT data FROM oauth_tokens WHERE request_id = ?`, requestID).Scan(&rows).Error; err != nil {
				t.Fatal(err)
			}
			return fmt.Sprint(rows)
		},
	}
}

func keyRepo(db *pgstore.DB) oauthport.KeyRepository { return oauthpg.NewKeys(db) }

func newUser(db *pgstore.DB) func(t *testing.T) shared.UserID {
	return func(t *testing.T) shared.UserID {
		t.Helper()
		id := uuid.New()
		now := time.Now().UTC()
		email := "consent-" + id.String()[:8] + "@example.com"
		err := db.Gorm().Exec(`INSERT INTO users (id, email, email_normalized, name, password_hash, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, id.String(), email, email, "Consent User", "x", now, now).Error
		if err != nil {
			t.Fatal(err)
		}
		return shared.UserID(id)
	}
}

func consentHarness(db *pgstore.DB) oauthporttest.ConsentHarness {
	return oauthporttest.ConsentHarness{
		Repo: oauthpg.NewConsents(db), NewUser: newUser(db), NewClient: newClientRow(db),
		DeleteClient: func(t *testing.T, id string) {
			t.Helper()
			if err := db.Gorm().Exec(`DELETE FROM oauth_clients WHERE id = ?`, id).Error; err != nil {
				t.Fatal(err)
			}
		},
	}
}

func parkHarness(db *pgstore.DB) oauthporttest.ParkHarness {
	return oauthporttest.ParkHarness{Store: oauthpg.NewAuthorizeRequests(db), NewClient: newClientRow(db)}
}
