package testenv

import (
	"context"
	"testing"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/migrations"
)

// Database is a migrated database of one dialect, for contract suites that
// run on every backend.
type Database struct {
	Name string
	Open func(t *testing.T) *pgstore.DB
}

// Databases returns the two SQL backends: a fresh PostgreSQL database and a
// fresh SQLite file, each opened and migrated on demand and closed (and
// dropped) when the test ends.
func Databases() []Database {
	return []Database{
		{Name: "postgres", Open: func(t *testing.T) *pgstore.DB {
			t.Helper()
			return Migrated(t, pgstore.Options{URL: NewPostgresDatabase(t), MaxOpenConns: 10})
		}},
		{Name: "sqlite", Open: func(t *testing.T) *pgstore.DB {
			t.Helper()
			return Migrated(t, pgstore.Options{SQLitePath: SQLiteURL(t), MaxOpenConns: 10})
		}},
	}
}

// Migrated opens a database and applies every migration.
func Migrated(t *testing.T, o pgstore.Options) *pgstore.DB {
	t.Helper()
	db, err := pgstore.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	m, err := pgstore.NewMigrator(db, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}
