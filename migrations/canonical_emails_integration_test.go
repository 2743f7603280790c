//go:build integration

package migrations_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pressly/goose/v3"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/identitypg"
	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/migrations"
	"github.com/secuird/authy/tests/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// legacyUser is a users row as the earlier rule stored it: the address as
// typed, keyed trimmed and lower-cased.
type legacyUser struct {
	label, email, name string
	deleted            bool
}

func TestCanonicalEmails_ReKeysStoredAddressesAndKeepsEveryAccountReadable(t *testing.T) {
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
			// Rows go in before every later migration, as an old database
			// holds them; 00006 to 00009 then run over them as they would.
			if _, err := p.UpTo(ctx, 5); err != nil {
				t.Fatal(err)
			}
			t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
			users := []legacyUser{
				{label: "ascii", email: "Bob@Acme.example", name: "Bob"},
				{label: "nfd and unicode domain", email: "Rene\u0301e@Cafe\u0301.example", name: "Ren\u00e9e"},
				{label: "unicode domain", email: "zoe@b\u00fccher.example", name: "Zo\u00eb"},
				// Two spellings of one address: the composed one is already
				// canonical and keeps it; the older decomposed twin stays.
				{label: "decomposed twin", email: "jose\u0301@acme.example", name: "Jose D"},
				{label: "composed twin", email: "jos\u00e9@acme.example", name: "Jose C"},
				// Two spellings, neither canonical: the older one gets it.
				{label: "older twin", email: "ann@b\u00fccher.example", name: "Ann 1"},
				{label: "newer twin", email: "ann@bu\u0308cher.example", name: "Ann 2"},
				{label: "refused", email: "eve\u200b@acme.example", name: "Eve"},
				{label: "joiner in name", email: "fam@acme.example", name: "\U0001f468\u200d\U0001f469\u200d\U0001f467 Family"},
				{label: "deleted", email: "old@b\u00fccher.example", name: "Old", deleted: true},
			}
			ids := map[string]shared.UserID{}
			for i, u := range users {
				id := uuid.New()
				ids[u.label] = shared.UserID(id)
				at := t0.Add(time.Duration(i) * time.Hour)
				var deleted any
				if u.deleted {
					deleted = at
				}
				exec(t, db, `INSERT INTO users (id, email, email_normalized, name, password_hash, created_at, updated_at, deleted_at)
					VALUES ($1, $2, $3, $4, $5, $6, $6, $7)`, id.String(), u.email, lower(u.email), u.name, "$2a$10$legacy", at, deleted)
			}
			orgID := uuid.New().String()
			exec(t, db, `INSERT INTO organizations (id, name, slug, created_at, updated_at) VALUES ($1, 'Acme', 'acme', $2, $2)`, orgID, t0)
			invitations := map[string]string{"unicode domain": "max@b\u00fccher.example", "refused": "bob@acme..example"}
			invIDs := map[string]string{}
			for label, email := range invitations {
				id := uuid.New().String()
				invIDs[label] = id
				exec(t, db, `INSERT INTO organization_invitations (id, organization_id, email, role, created_at) VALUES ($1, $2, $3, 'member', $4)`,
					id, orgID, email, t0)
			}

			if _, err := p.UpTo(ctx, 10); err != nil {
				t.Fatal(err)
			}

			wantKeys := map[string]string{
				"ascii":                  "bob@acme.example",
				"nfd and unicode domain": "ren\u00e9e@xn--caf-dma.example",
				"unicode domain":         "zoe@xn--bcher-kva.example",
				"decomposed twin":        lower("jose\u0301@acme.example"),
				"composed twin":          "jos\u00e9@acme.example",
				"older twin":             "ann@xn--bcher-kva.example",
				"newer twin":             lower("ann@bu\u0308cher.example"),
				"refused":                lower("eve\u200b@acme.example"),
				"joiner in name":         "fam@acme.example",
				"deleted":                "old@xn--bcher-kva.example",
			}
			for label, want := range wantKeys {
				if got := queryString(t, db, `SELECT email_normalized FROM users WHERE id = $1`, uuid.UUID(ids[label]).String()); got != want {
					t.Errorf("%s: key %q, want %q", label, got, want)
				}
			}
			if got := queryString(t, db, `SELECT email FROM organization_invitations WHERE id = $1`, invIDs["unicode domain"]); got != "max@xn--bcher-kva.example" {
				t.Errorf("invitation re-keyed to %q", got)
			}
			if got := queryString(t, db, `SELECT email FROM organization_invitations WHERE id = $1`, invIDs["refused"]); got != "bob@acme..example" {
				t.Errorf("a refused invitation address changed to %q", got)
			}

			// Every account is readable, and each address finds the one
			// account that holds its canonical key.
			store := identitypg.New(db)
			for label, id := range ids {
				if _, err := store.Get(ctx, id); err != nil && !(label == "deleted" && errors.Is(err, identity.ErrUserNotFound)) {
					t.Errorf("%s: %v", label, err)
				}
			}
			find := map[string]string{
				"RENE\u0301E@caf\u00e9.example":  "nfd and unicode domain",
				"zoe@xn--bcher-kva.example":      "unicode domain",
				"jose\u0301@acme.example":        "composed twin",
				"ann@bu\u0308cher.example":       "older twin",
				"bob@acme.example":               "ascii",
				"fam@acme.example":               "joiner in name",
				"eve@acme.example":               "",
				"old@b\u00fccher.example":        "",
				"jos\u00e9@ACME.example":         "composed twin",
				"ann@B\u00dcCHER.example":        "older twin",
				"rene\u0301e@cafe\u0301.example": "nfd and unicode domain",
			}
			for addr, label := range find {
				e, reason := identity.ParseEmail(addr)
				if reason != "" {
					t.Fatalf("%q: %s", addr, reason)
				}
				u, err := store.FindByEmail(ctx, e)
				switch {
				case label == "" && !errors.Is(err, identity.ErrUserNotFound):
					t.Errorf("%q found %v, %v; want no account", addr, u, err)
				case label != "" && (err != nil || u.ID() != ids[label]):
					t.Errorf("%q: %v %v, want %s", addr, u, err, label)
				}
			}
			if u, err := store.Get(ctx, ids["joiner in name"]); err != nil || u.Name().String() != users[8].name {
				t.Errorf("a name saved under the earlier rule must load as it is: %v %v", u, err)
			}

			// The later migrations still apply on top.
			if _, err := p.Up(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func open(t *testing.T, o pgstore.Options) *pgstore.DB {
	t.Helper()
	db, err := pgstore.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func provider(t *testing.T, db *pgstore.DB) *goose.Provider {
	t.Helper()
	dir, dialect := "postgres", goose.DialectPostgres
	if db.Dialect() == pgstore.SQLite {
		dir, dialect = "sqlite", goose.DialectSQLite3
	}
	sub, err := fs.Sub(migrations.FS, dir)
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, err := db.Gorm().DB()
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(dialect, sqlDB, sub)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func exec(t *testing.T, db *pgstore.DB, query string, args ...any) {
	t.Helper()
	sqlDB, err := db.Gorm().DB()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqlDB.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func queryString(t *testing.T, db *pgstore.DB, query string, args ...any) string {
	t.Helper()
	sqlDB, err := db.Gorm().DB()
	if err != nil {
		t.Fatal(err)
	}
	var s string
	if err := sqlDB.QueryRow(query, args...).Scan(&s); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return s
}

// lower is the earlier rule's key: the trimmed address, lower-cased.
func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
