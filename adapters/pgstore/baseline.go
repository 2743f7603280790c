package pgstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
)

// baselineVersionsPrefix starts the line of a baseline that lists the
// migrations it stands for.
const baselineVersionsPrefix = "-- +versions"

// baseline is the schema (and any rows the migrations insert) of a fresh
// database migrated through a list of versions, as one script. Replaying
// the migrations one by one on SQLite costs more than the rest of the
// server's start (every ALTER TABLE makes SQLite parse the whole schema
// again), so an empty embedded database is created from the script
// instead, in one transaction, with the same versions recorded as goose
// records them; the migrations after the list then apply as usual.
// TestMigrate_AFreshSQLiteDatabaseFromTheBaselineEqualsOneMigratedStepByStep
// keeps the script equal to its migrations.
type baseline struct {
	versions []int64
	script   string
}

// readBaseline reads baseline/<dialect>.sql from fsys; nil when there is
// none.
func readBaseline(fsys fs.FS, d Dialect) (*baseline, error) {
	name := path.Join("baseline", string(d)+".sql")
	raw, err := fs.ReadFile(fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("migration baseline: %w", err)
	}
	b := &baseline{script: string(raw)}
	for line := range strings.Lines(b.script) {
		rest, ok := strings.CutPrefix(line, baselineVersionsPrefix)
		if !ok {
			continue
		}
		for _, f := range strings.Fields(rest) {
			v, err := strconv.ParseInt(f, 10, 64)
			if err != nil || v <= 0 || (len(b.versions) > 0 && v <= b.versions[len(b.versions)-1]) {
				return nil, fmt.Errorf("migration baseline %s: bad version %q", name, f)
			}
			b.versions = append(b.versions, v)
		}
	}
	if len(b.versions) == 0 {
		return nil, fmt.Errorf("migration baseline %s lists no versions", name)
	}
	return b, nil
}

// covers reports whether b's versions are exactly the first migrations of
// sources (sorted by version). When a migration numbered below b's last
// one has been added since b was written, b is not used: goose would apply
// that migration out of order, or refuse.
func (b *baseline) covers(sources []*goose.Source) bool {
	if len(sources) < len(b.versions) {
		return false
	}
	for i, v := range b.versions {
		if sources[i].Version != v {
			return false
		}
	}
	return true
}

// apply creates b's schema on db when db has no table at all and b covers
// p's migrations, and records b's versions in goose's version table (the
// initial version 0 first, as goose does). It returns how many versions it
// recorded: 0 when the database was not empty or b does not cover the
// migrations, and nothing was changed. The emptiness check and the script
// run in one write transaction, so of two instances starting on one new
// file exactly one creates the schema.
func (b *baseline) apply(ctx context.Context, db *sql.DB, p *goose.Provider) (int, error) {
	if !b.covers(p.ListSources()) {
		return 0, nil
	}
	store, err := database.NewStore(goose.DialectSQLite3, goose.DefaultTablename)
	if err != nil {
		return 0, err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("migration baseline: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	var objects int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&objects); err != nil {
		return 0, fmt.Errorf("migration baseline: %w", err)
	}
	if objects > 0 {
		return 0, nil
	}
	if _, err := tx.ExecContext(ctx, b.script); err != nil {
		return 0, fmt.Errorf("migration baseline: %w", err)
	}
	if err := store.CreateVersionTable(ctx, tx); err != nil {
		return 0, fmt.Errorf("migration baseline: version table: %w", err)
	}
	for _, v := range append([]int64{0}, b.versions...) {
		if err := store.Insert(ctx, tx, database.InsertRequest{Version: v}); err != nil {
			return 0, fmt.Errorf("migration baseline: record version %d: %w", v, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("migration baseline: %w", err)
	}
	return len(b.versions), nil
}
