//go:build integration

package organizationspg_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/organizationspg"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/migrations"
	"github.com/secuird/authy/ports/organizationsport/organizationsporttest"
	"github.com/secuird/authy/tests/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// harness inserts users straight into identity's table: memberships
// reference users(id), and this test must not depend on identity's code.
func harness(db *pgstore.DB) organizationsporttest.Harness {
	s := organizationspg.New(db)
	return organizationsporttest.Harness{
		Repo: s,
		UoW:  s,
		NewUser: func(t *testing.T) shared.UserID {
			t.Helper()
			id := uuid.New()
			email := id.String() + "@example.com"
			now := time.Now().UTC()
			err := db.Gorm().Exec(`INSERT INTO users (id, email, email_normalized, name, password_hash, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, id.String(), email, email, "Test User", "x", now, now).Error
			if err != nil {
				t.Fatalf("insert user: %v", err)
			}
			return shared.UserID(id)
		},
	}
}

func TestStore_ContractOnEverySQLBackend(t *testing.T) {
	for _, backend := range testenv.Databases() {
		t.Run(backend.Name, func(t *testing.T) {
			db := backend.Open(t)
			organizationsporttest.RepositoryContract(t, func(*testing.T) organizationsporttest.Harness { return harness(db) })
		})
	}
}

// TestMigration00007_InvitationsMadeBeforeItStayPendingWithTheDefaultExpiry
// migrates a database down to before the invitation lifecycle, stores an
// invitation the old way and migrates up again.
func TestMigration00007_InvitationsMadeBeforeItStayPendingWithTheDefaultExpiry(t *testing.T) {
	for _, backend := range testenv.Databases() {
		t.Run(backend.Name, func(t *testing.T) {
			ctx := context.Background()
			db := backend.Open(t)
			m, err := pgstore.NewMigrator(db, migrations.FS)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.DownTo(ctx, 6); err != nil {
				t.Fatalf("down to 6: %v", err)
			}
			h := harness(db)
			owner := h.NewUser(t)
			org, inv := uuid.New(), uuid.New()
			created := time.Date(2025, 2, 3, 4, 5, 6, 0, time.UTC)
			for _, q := range []struct {
				sql  string
				args []any
			}{
				{`INSERT INTO organizations (id, name, slug, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
					[]any{org.String(), "Legacy", "legacy-" + uuid.NewString()[:8], created, created}},
				{`INSERT INTO organization_memberships (organization_id, user_id, role, joined_at) VALUES (?, ?, ?, ?)`,
					[]any{org.String(), owner.String(), "owner", created}},
				{`INSERT INTO organization_invitations (id, organization_id, email, role, invited_by, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
					[]any{inv.String(), org.String(), "legacy@example.com", "admin", owner.String(), created}},
			} {
				if err := db.Gorm().Exec(q.sql, q.args...).Error; err != nil {
					t.Fatalf("%s: %v", q.sql, err)
				}
			}
			if _, err := m.Up(ctx); err != nil {
				t.Fatalf("up: %v", err)
			}
			rec, err := h.Repo.FindInvitation(ctx, inv)
			if err != nil {
				t.Fatal(err)
			}
			got := rec.Invitation
			if got.Status().String() != "pending" || !got.ExpiresAt().Equal(created.Add(7*24*time.Hour)) ||
				!got.TokenHash().IsZero() || got.InvitedBy() != owner || got.Email() != "legacy@example.com" {
				t.Fatalf("migrated invitation %+v", got)
			}
			list, err := h.Repo.ListInvitations(ctx, shared.OrganizationID(org), created, nil, 10)
			if err != nil || len(list) != 1 {
				t.Fatalf("listed %v, %v", list, err)
			}
		})
	}
}
