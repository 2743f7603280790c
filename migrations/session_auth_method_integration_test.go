//go:build integration

package migrations_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/sessionspg"
	"github.com/secuird/authy/domain/sessions"
	"github.com/secuird/authy/tests/testenv"
)

func TestSessionAuthMethod_SessionsFromBeforeReadAsPasswordSignInsAtTheirCreation(t *testing.T) {
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
			if _, err := p.UpTo(ctx, 13); err != nil {
				t.Fatal(err)
			}
			created := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
			user, id := uuid.New(), uuid.New()
			if err := db.Gorm().Exec(`INSERT INTO users (id, email, email_normalized, name, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				user, "old@example.com", "old@example.com", "Old", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$a2V5", created, created).Error; err != nil {
				t.Fatal(err)
			}
			if err := db.Gorm().Exec(`INSERT INTO sessions (id, user_id, token_hash, created_at, last_seen_at, expires_at, absolute_expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				id, user, []byte("0123456789abcdef0123456789abcdef"), created, created, created.Add(15*time.Minute), created.Add(8*time.Hour)).Error; err != nil {
				t.Fatal(err)
			}
			if _, err := p.UpTo(ctx, 14); err != nil {
				t.Fatal(err)
			}
			s, err := sessionspg.New(db).Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if s.Method() != sessions.MethodPassword || !s.AuthTime().Equal(created) {
				t.Fatalf("an existing session reads as %v at %s, want a password sign-in at its creation", s.Method(), s.AuthTime())
			}
			if _, err := p.DownTo(ctx, 13); err != nil {
				t.Fatal(err)
			}
			var n int64
			if err := db.Gorm().Raw(`SELECT COUNT(*) FROM sessions WHERE id = ?`, id).Scan(&n).Error; err != nil || n != 1 {
				t.Fatalf("down lost the session: %d %v", n, err)
			}
			if _, err := p.UpTo(ctx, 14); err != nil {
				t.Fatalf("up again: %v", err)
			}
		})
	}
}
