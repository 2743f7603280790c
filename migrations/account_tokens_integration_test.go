//go:build integration

package migrations_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/identitypg"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/tests/testenv"
)

func TestAccountTokens_ExistingAccountsKeepTheirPasswordStartUnverifiedAndDeletedOnesHoldNone(t *testing.T) {
	backends := []struct {
		name string
		open func(t *testing.T) *pgstore.DB
	}{
		{"postgres", func(t *testing.T) *pgstore.DB { return open(t, pgstore.Options{URL: testenv.NewPostgresDatabase(t)}) }},
		{"sqlite", func(t *testing.T) *pgstore.DB { return open(t, pgstore.Options{SQLitePath: testenv.SQLiteURL(t)}) }},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			db := b.open(t)
			p := provider(t, db)
			if _, err := p.UpTo(ctx, 12); err != nil {
				t.Fatal(err)
			}
			t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
			live, gone := uuid.New(), uuid.New()
			insert := `INSERT INTO users (id, email, email_normalized, name, password_hash, created_at, updated_at, deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
			if err := db.Gorm().Exec(insert, live, "live@example.com", "live@example.com", "Live", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$a2V5", t0, t0, nil).Error; err != nil {
				t.Fatal(err)
			}
			if err := db.Gorm().Exec(insert, gone, "gone@example.com", "gone@example.com", "Gone", "", t0, t0, t0).Error; err != nil {
				t.Fatal(err)
			}
			if _, err := p.UpTo(ctx, 13); err != nil {
				t.Fatal(err)
			}
			u, err := identitypg.New(db).Get(ctx, shared.UserID(live))
			if err != nil {
				t.Fatal(err)
			}
			if !u.HasPassword() || u.EmailVerified() {
				t.Fatalf("an existing account keeps its password and starts unverified: password %v verified %v", u.HasPassword(), u.EmailVerified())
			}
			var nulls int64
			if err := db.Gorm().Raw(`SELECT COUNT(*) FROM users WHERE id = ? AND password_hash IS NULL`, gone).Scan(&nulls).Error; err != nil || nulls != 1 {
				t.Fatalf("a deleted account must hold no hash (NULL): %d %v", nulls, err)
			}

			if _, err := p.DownTo(ctx, 12); err != nil {
				t.Fatal(err)
			}
			var hash string
			if err := db.Gorm().Raw(`SELECT password_hash FROM users WHERE id = ?`, gone).Scan(&hash).Error; err != nil || hash != "" {
				t.Fatalf("down: the deleted account's hash is %q, %v; want the empty string", hash, err)
			}
			if err := db.Gorm().Exec(insert, uuid.New(), "null@example.com", "null@example.com", "Null", nil, t0, t0, nil).Error; err == nil {
				t.Fatal("down: password_hash must be NOT NULL again")
			}
		})
	}
}
