package testenv

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

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

// SQLite returns a fresh SQLite database in the test's temporary directory,
// migrated and closed when the test ends: the real stores of every context
// on one file, so what a unit of work commits or rolls back across contexts
// is what a test reads back. The first call of a test binary migrates a
// template; every call copies it (a file copy instead of the migrations).
func SQLite(t testing.TB) *pgstore.DB {
	t.Helper()
	sqliteTemplate.once.Do(func() { sqliteTemplate.data, sqliteTemplate.err = migratedSQLiteFile(t) })
	if sqliteTemplate.err != nil {
		t.Fatalf("migrate the SQLite template: %v", sqliteTemplate.err)
	}
	return SQLiteFrom(t, sqliteTemplate.data)
}

// SQLiteFrom returns a SQLite database in the test's temporary directory
// holding a copy of snapshot (what SQLiteSnapshot returned), closed when
// the test ends. Tests that need the same seeded state many times seed it
// once and start each case from a copy, isolated from every other case.
func SQLiteFrom(t testing.TB, snapshot []byte) *pgstore.DB {
	t.Helper()
	path := SQLiteURL(t)
	if err := os.WriteFile(path, snapshot, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := pgstore.Open(pgstore.Options{SQLitePath: path, MaxOpenConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// SQLiteSnapshot returns the committed contents of a SQLite database as
// one file's bytes (VACUUM INTO, so the WAL is included and db stays open)
// for SQLiteFrom.
func SQLiteSnapshot(t testing.TB, db *pgstore.DB) []byte {
	t.Helper()
	path := SQLiteURL(t)
	if err := db.Gorm().Exec("VACUUM INTO ?", path).Error; err != nil {
		t.Fatalf("snapshot the SQLite database: %v", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

var sqliteTemplate struct {
	once sync.Once
	data []byte
	err  error
}

// migratedSQLiteFile migrates a SQLite file and returns its bytes, the WAL
// checkpointed into it.
func migratedSQLiteFile(t testing.TB) ([]byte, error) {
	path := SQLiteURL(t)
	db, err := pgstore.Open(pgstore.Options{SQLitePath: path, MaxOpenConns: 1})
	if err != nil {
		return nil, err
	}
	defer func() { _ = db.Close() }()
	m, err := pgstore.NewMigrator(db, migrations.FS)
	if err != nil {
		return nil, err
	}
	if _, err := m.Up(context.Background()); err != nil {
		return nil, err
	}
	if err := db.Gorm().Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error; err != nil {
		return nil, err
	}
	if err := db.Close(); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
}

// Migrated opens a database and applies every migration.
func Migrated(t testing.TB, o pgstore.Options) *pgstore.DB {
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

// StoreUser stores a bare users row with id, for stores whose rows
// reference users(id) in tests that fake identity. Its address is unique per
// id, its password hash a placeholder (older schemas require one, which
// migration tests go back to); storing an id again changes nothing.
func StoreUser(t testing.TB, db *pgstore.DB, id uuid.UUID) {
	t.Helper()
	email, now := id.String()+"@users.test", time.Now().UTC()
	if err := db.Gorm().Exec(`INSERT INTO users (id, email, email_normalized, name, password_hash, created_at, updated_at)
		VALUES (?, ?, ?, ?, 'x', ?, ?) ON CONFLICT (id) DO NOTHING`, id.String(), email, email, "Test User", now, now).Error; err != nil {
		t.Fatalf("store user %s: %v", id, err)
	}
}
