package pgstore

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pressly/goose/v3"

	"github.com/secuird/authy/migrations"
)

var baselineThrough = flag.Int64("baseline-through", 0,
	"write migrations/baseline/sqlite.sql from the SQLite migrations up to this version")

// baselineFile is migrations/baseline/sqlite.sql, from this directory.
const baselineFile = "../../migrations/baseline/sqlite.sql"

const regenerate = "go test ./adapters/pgstore -run TestMigrate_AFreshSQLiteDatabaseFromTheBaseline -baseline-through <last version>"

// withoutBaseline is migrations.FS without its baseline: what the migrator
// replays one migration at a time.
type withoutBaseline struct{ fs.FS }

func (w withoutBaseline) Open(name string) (fs.File, error) {
	if name == "baseline" || strings.HasPrefix(name, "baseline/") {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return w.FS.Open(name)
}

func freshSQLite(t *testing.T) (*DB, *sql.DB) {
	t.Helper()
	db, err := Open(Options{SQLitePath: filepath.Join(t.TempDir(), "authy.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	sqlDB, err := db.Gorm().DB()
	if err != nil {
		t.Fatal(err)
	}
	return db, sqlDB
}

func migrator(t *testing.T, db *DB, fsys fs.FS) *Migrator {
	t.Helper()
	m, err := NewMigrator(db, fsys)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// stepByStep migrates a fresh SQLite database one migration at a time
// through version (every migration when 0).
func stepByStep(t *testing.T, version int64) *sql.DB {
	t.Helper()
	db, sqlDB := freshSQLite(t)
	m := migrator(t, db, withoutBaseline{migrations.FS})
	if m.baseline != nil {
		t.Fatal("the step-by-step migrator found a baseline")
	}
	err := m.with(func(p *goose.Provider) error {
		var err error
		if version > 0 {
			_, err = p.UpTo(context.Background(), version)
		} else {
			_, err = p.Up(context.Background())
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return sqlDB
}

func TestMigrate_AFreshSQLiteDatabaseFromTheBaselineEqualsOneMigratedStepByStep(t *testing.T) {
	ctx := context.Background()
	if *baselineThrough > 0 {
		writeBaseline(t, *baselineThrough)
	}
	b, err := readBaseline(migrations.FS, SQLite)
	if err != nil || b == nil {
		t.Fatalf("no SQLite baseline (%v): write it with %s", err, regenerate)
	}
	last := b.versions[len(b.versions)-1]

	// The script is what the migrations it lists make, text for text.
	if want := baselineScript(t, stepByStep(t, last), last); b.script != want {
		t.Fatalf("migrations/baseline/sqlite.sql differs from the migrations through %d: write it again with %s", last, regenerate)
	}

	// Its versions are the first migrations, so a new database is created
	// from it; a migration numbered below its last version, added since,
	// would make every new database replay the migrations one by one.
	db, sqlDB := freshSQLite(t)
	m := migrator(t, db, migrations.FS)
	var sources []*goose.Source
	_ = m.with(func(p *goose.Provider) error { sources = p.ListSources(); return nil })
	if !b.covers(sources) {
		t.Fatalf("migrations/baseline/sqlite.sql (versions %v) is no longer the first migrations: write it again with %s", b.versions, regenerate)
	}

	// On an empty database the baseline stands for its versions.
	direct, _ := freshSQLite(t)
	dm := migrator(t, direct, migrations.FS)
	var based int
	if err := dm.with(func(p *goose.Provider) error {
		var err error
		based, err = dm.baseline(ctx, p)
		return err
	}); err != nil || based != len(b.versions) {
		t.Fatalf("baseline on an empty database recorded %d versions (%v), want %d", based, err, len(b.versions))
	}

	// Up creates it from the baseline, then applies the later migrations;
	// it counts every migration.
	n, err := m.Up(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(sources) {
		t.Fatalf("Up reported %d migrations, want %d", n, len(sources))
	}
	if got, want := dumpSQLite(t, sqlDB), dumpSQLite(t, stepByStep(t, 0)); got != want {
		t.Fatalf("a database created from the baseline differs from one migrated step by step:\n--- baseline\n%s\n--- step by step\n%s", got, want)
	}
	if pending, err := m.HasPending(ctx); err != nil || pending {
		t.Fatalf("pending after Up: %v %v", pending, err)
	}
	// Down and up again run the migrations themselves over the baseline's
	// schema.
	if _, err := m.DownTo(ctx, 0); err != nil {
		t.Fatalf("down from the baseline's schema: %v", err)
	}
	if _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := dumpSQLite(t, sqlDB), dumpSQLite(t, stepByStep(t, 0)); got != want {
		t.Fatalf("down and up again differs from step by step:\n%s\n---\n%s", got, want)
	}
}

func TestMigrate_TheBaselineIsUsedOnlyOnAnEmptyDatabase(t *testing.T) {
	ctx := context.Background()
	db, sqlDB := freshSQLite(t)
	if _, err := sqlDB.Exec("CREATE TABLE existing (id INTEGER PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	m := migrator(t, db, migrations.FS)
	var n int
	err := m.with(func(p *goose.Provider) error {
		var err error
		n, err = m.baseline(ctx, p)
		return err
	})
	if err != nil || n != 0 {
		t.Fatalf("baseline on a database with a table: %d %v", n, err)
	}
	var tables int
	if err := sqlDB.QueryRow("SELECT count(*) FROM sqlite_master").Scan(&tables); err != nil || tables != 1 {
		t.Fatalf("the baseline changed a database that was not empty (%d objects, %v)", tables, err)
	}
	// The migrations still apply one by one.
	if _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sqlDB.QueryRow("SELECT count(*) FROM users").Scan(&tables); err != nil {
		t.Fatalf("migrated without users: %v", err)
	}
}

func TestMigrate_ABaselineThatIsNotTheFirstMigrationsIsNotUsed(t *testing.T) {
	src := func(vs ...int64) []*goose.Source {
		var out []*goose.Source
		for _, v := range vs {
			out = append(out, &goose.Source{Version: v})
		}
		return out
	}
	b := &baseline{versions: []int64{1, 2, 5}}
	for _, c := range []struct {
		sources []*goose.Source
		want    bool
	}{
		{src(1, 2, 5), true},
		{src(1, 2, 5, 7), true},
		{src(1, 2, 3, 5), false}, // 3 was added after the baseline
		{src(1, 2), false},
		{src(2, 5, 7), false},
	} {
		if got := b.covers(c.sources); got != c.want {
			t.Errorf("covers %v = %v, want %v", c.sources, got, c.want)
		}
	}
	for _, bad := range []string{"CREATE TABLE t (id INT);\n", "-- +versions 1 3 2\n", "-- +versions 1 x\n"} {
		if _, err := readBaseline(fstest.MapFS{"baseline/sqlite.sql": {Data: []byte(bad)}}, SQLite); err == nil {
			t.Errorf("baseline %q accepted", bad)
		}
	}
}

// writeBaseline writes migrations/baseline/sqlite.sql from the migrations
// through version.
func writeBaseline(t *testing.T, version int64) {
	t.Helper()
	script := baselineScript(t, stepByStep(t, version), version)
	if err := os.MkdirAll(filepath.Dir(baselineFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(baselineFile, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s through version %d", baselineFile, version)
}

// baselineScript is the baseline of db, migrated through version: its
// tables, indexes and views in the order they were made, the rows the
// migrations inserted, then its triggers (after the rows, so that no
// trigger fires on them twice).
func baselineScript(t *testing.T, db *sql.DB, version int64) string {
	t.Helper()
	var versions []string
	for _, v := range appliedVersions(t, db) {
		if v > 0 && v <= version {
			versions = append(versions, fmt.Sprint(v))
		}
	}
	var head, rows, triggers strings.Builder
	fmt.Fprintf(&head, "-- The schema, and the rows the migrations insert, of a fresh SQLite\n"+
		"-- database migrated through the versions below: adapters/pgstore creates an\n"+
		"-- empty database from it in one step. Generated; never edit it by hand. After\n"+
		"-- adding a migration numbered below its last version, write it again with\n"+
		"--   %s\n"+
		"%s %s\n\n", regenerate, baselineVersionsPrefix, strings.Join(versions, " "))
	type object struct{ kind, name, sql string }
	var objects []object
	q, err := db.Query(`SELECT type, name, sql FROM sqlite_master
		WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' AND name <> ? ORDER BY rowid`, goose.DefaultTablename)
	if err != nil {
		t.Fatal(err)
	}
	for q.Next() {
		var o object
		if err := q.Scan(&o.kind, &o.name, &o.sql); err != nil {
			t.Fatal(err)
		}
		objects = append(objects, o)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	for _, o := range objects {
		switch o.kind {
		case "trigger":
			fmt.Fprintf(&triggers, "%s;\n\n", o.sql)
		case "table":
			fmt.Fprintf(&head, "%s;\n\n", o.sql)
			for _, r := range quotedRows(t, db, o.name) {
				fmt.Fprintf(&rows, "INSERT INTO %q VALUES (%s);\n", o.name, r)
			}
		default:
			fmt.Fprintf(&head, "%s;\n\n", o.sql)
		}
	}
	if rows.Len() > 0 {
		rows.WriteString("\n")
	}
	return strings.TrimRight(head.String()+rows.String()+triggers.String(), "\n") + "\n"
}

func appliedVersions(t *testing.T, db *sql.DB) []int64 {
	t.Helper()
	q, err := db.Query("SELECT version_id FROM " + goose.DefaultTablename + " WHERE is_applied ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	var out []int64
	for q.Next() {
		var v int64
		if err := q.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// quotedRows returns each row of table as SQL literals (quote()), sorted.
func quotedRows(t *testing.T, db *sql.DB, table string) []string {
	t.Helper()
	q, err := db.Query(fmt.Sprintf("SELECT name FROM pragma_table_info(%s) ORDER BY cid", quoteLiteral(table)))
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for q.Next() {
		var c string
		if err := q.Scan(&c); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, fmt.Sprintf("quote(%q)", c))
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	q, err = db.Query(fmt.Sprintf("SELECT %s FROM %q", strings.Join(cols, " || ', ' || "), table))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	var out []string
	for q.Next() {
		var r string
		if err := q.Scan(&r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// dumpSQLite describes everything a migration can leave in a database:
// every schema object with its SQL, every row of every table, the applied
// versions in order, the AUTOINCREMENT counters and the user version.
func dumpSQLite(t *testing.T, db *sql.DB) string {
	t.Helper()
	var b strings.Builder
	q, err := db.Query("SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name")
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for q.Next() {
		var kind, name, table, text string
		if err := q.Scan(&kind, &name, &table, &text); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %s on %s: %s\n", kind, name, table, text)
		if kind == "table" && name != goose.DefaultTablename && name != "sqlite_sequence" {
			tables = append(tables, name)
		}
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	for _, table := range tables {
		for _, r := range quotedRows(t, db, table) {
			fmt.Fprintf(&b, "row %s: %s\n", table, r)
		}
	}
	fmt.Fprintf(&b, "versions: %v\n", appliedVersions(t, db))
	var seq []string
	if q, err := db.Query("SELECT name, seq FROM sqlite_sequence WHERE name <> ? ORDER BY name", goose.DefaultTablename); err == nil {
		for q.Next() {
			var name string
			var n int64
			if err := q.Scan(&name, &n); err != nil {
				t.Fatal(err)
			}
			seq = append(seq, fmt.Sprintf("%s=%d", name, n))
		}
		_ = q.Close()
	}
	var userVersion int64
	if err := db.QueryRow("PRAGMA user_version").Scan(&userVersion); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "sequences: %v\nuser_version: %d\n", seq, userVersion)
	return b.String()
}
