//go:build integration

package migrations_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/sessionspg"
	"github.com/secuird/authy/tests/testenv"
)

func TestSSOOIDCMethodName_StoredSessionsCodesAndChallengesTakeTheHyphenatedNameAndDownRestoresIt(t *testing.T) {
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
			if _, err := p.UpTo(ctx, 32); err != nil {
				t.Fatal(err)
			}
			now := time.Now().UTC().Truncate(time.Second)
			user, conn := uuid.New(), uuid.New()
			gexec(t, db, `INSERT INTO users (id, email, email_normalized, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
				user, "alice@example.com", "alice@example.com", "Alice", now, now)
			oldName, newName := "sso_oidc:"+conn.String(), "sso-oidc:"+conn.String()
			samlName := "saml:" + conn.String()
			sessionsOf := map[string]uuid.UUID{}
			for i, method := range []string{oldName, samlName, "password", "social:github"} {
				id := uuid.New()
				sessionsOf[method] = id
				gexec(t, db, `INSERT INTO sessions (id, user_id, token_hash, created_at, last_seen_at, expires_at, absolute_expires_at, auth_method, amr, auth_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					id, user, []byte{byte(i), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31},
					now, now, now.Add(15*time.Minute), now.Add(8*time.Hour), method, "fed", now)
			}
			code := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
			gexec(t, db, `INSERT INTO federation_login_codes (code_hash, user_id, method, amr, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
				code, user, oldName, "fed", now, now.Add(time.Minute))
			challenge := uuid.New()
			gexec(t, db, `INSERT INTO mfa_challenges (id, user_id, token_hash, method, amr, client, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				challenge, user, make([]byte, 32), oldName, "fed", "127.0.0.1", now, now.Add(5*time.Minute))

			if _, err := p.UpTo(ctx, 33); err != nil {
				t.Fatal(err)
			}
			store := sessionspg.New(db)
			for method, want := range map[string]string{oldName: newName, samlName: samlName, "password": "password", "social:github": "social:github"} {
				s, err := store.Get(ctx, sessionsOf[method])
				if err != nil {
					t.Fatalf("a session of %q no longer reads: %v", method, err)
				}
				if s.Method().Name() != want {
					t.Fatalf("a session of %q reads as %q, want %q", method, s.Method().Name(), want)
				}
			}
			if got := gscan(t, db, `SELECT method FROM federation_login_codes WHERE code_hash = ?`, code); got != newName {
				t.Fatalf("a waiting login code's method is %q, want %q", got, newName)
			}
			if got := gscan(t, db, `SELECT method FROM mfa_challenges WHERE id = ?`, challenge); got != newName {
				t.Fatalf("a waiting challenge's method is %q, want %q", got, newName)
			}

			if _, err := p.DownTo(ctx, 32); err != nil {
				t.Fatal(err)
			}
			if got := gscan(t, db, `SELECT auth_method FROM sessions WHERE id = ?`, sessionsOf[oldName]); got != oldName {
				t.Fatalf("down left the session's method at %q, want %q", got, oldName)
			}
			if got := gscan(t, db, `SELECT auth_method FROM sessions WHERE id = ?`, sessionsOf[samlName]); got != samlName {
				t.Fatalf("down changed a SAML session's method to %q", got)
			}
			if got := gscan(t, db, `SELECT method FROM federation_login_codes WHERE code_hash = ?`, code); got != oldName {
				t.Fatalf("down left the login code's method at %q", got)
			}
			if got := gscan(t, db, `SELECT method FROM mfa_challenges WHERE id = ?`, challenge); got != oldName {
				t.Fatalf("down left the challenge's method at %q", got)
			}
			if _, err := p.UpTo(ctx, 33); err != nil {
				t.Fatalf("up again: %v", err)
			}
		})
	}
}

func gexec(t *testing.T, db *pgstore.DB, query string, args ...any) {
	t.Helper()
	if err := db.Gorm().Exec(query, args...).Error; err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func gscan(t *testing.T, db *pgstore.DB, query string, args ...any) string {
	t.Helper()
	var s string
	if err := db.Gorm().Raw(query, args...).Scan(&s).Error; err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return s
}
