package pgstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// MigrationStatus is one migration's state.
type MigrationStatus struct {
	Version int64
	Name    string
	Applied bool
}

// Migrator applies the embedded, versioned SQL migrations of the DB's
// dialect with goose. fsys holds one directory per dialect ("postgres",
// "sqlite"), and may hold baseline/sqlite.sql (baseline.go). On PostgreSQL each operation runs on a pool of its own, opened
// and closed around it, without the application's statement and
// idle-in-transaction timeouts: a migration may rightly take longer.
type Migrator struct {
	dialect goose.Dialect
	fsys    fs.FS
	opts    []goose.ProviderOption
	open    func() (db *sql.DB, close func() error, err error)
	// baseline creates an empty SQLite database in one step (baseline.go);
	// nil on PostgreSQL and when fsys has none.
	baseline func(ctx context.Context, p *goose.Provider) (int, error)
}

// NewMigrator returns a migrator over fsys for d's dialect.
func NewMigrator(d *DB, fsys fs.FS) (*Migrator, error) {
	sub, err := fs.Sub(fsys, string(d.dialect))
	if err != nil {
		return nil, fmt.Errorf("migrations for %s: %w", d.dialect, err)
	}
	m := &Migrator{dialect: goose.DialectPostgres, fsys: sub}
	if d.dialect == SQLite {
		sqlDB, err := d.gorm.DB()
		if err != nil {
			return nil, err
		}
		m.dialect = goose.DialectSQLite3
		m.open = func() (*sql.DB, func() error, error) { return sqlDB, func() error { return nil }, nil }
		b, err := readBaseline(fsys, d.dialect)
		if err != nil {
			return nil, err
		}
		if b != nil {
			m.baseline = func(ctx context.Context, p *goose.Provider) (int, error) { return b.apply(ctx, sqlDB, p) }
		}
	} else {
		// Several instances may start at once: a Postgres advisory lock lets
		// exactly one apply migrations while the others wait.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		m.opts = append(m.opts, goose.WithSessionLocker(locker))
		m.open = func() (*sql.DB, func() error, error) {
			db := d.migrationPool()
			return db, db.Close, nil
		}
	}
	// Check the migrations once, so a broken set fails here.
	if err := m.with(func(*goose.Provider) error { return nil }); err != nil {
		return nil, err
	}
	return m, nil
}

// with runs f on a provider over a freshly opened pool.
func (m *Migrator) with(f func(p *goose.Provider) error) error {
	db, closeDB, err := m.open()
	if err != nil {
		return err
	}
	defer closeDB()
	p, err := goose.NewProvider(m.dialect, db, m.fsys, m.opts...)
	if err != nil {
		return fmt.Errorf("migration provider: %w", err)
	}
	return f(p)
}

// Up applies every pending migration and returns how many ran (on an
// empty SQLite database, those the baseline stands for count as run).
func (m *Migrator) Up(ctx context.Context) (int, error) {
	var n int
	err := m.with(func(p *goose.Provider) error {
		if m.baseline != nil {
			var err error
			if n, err = m.baseline(ctx, p); err != nil {
				return err
			}
		}
		res, err := p.Up(ctx)
		n += len(res)
		if err != nil {
			return fmt.Errorf("migrate up: %w", err)
		}
		return nil
	})
	return n, err
}

// Down rolls back the latest applied migration; it reports false when none
// was applied.
func (m *Migrator) Down(ctx context.Context) (bool, error) {
	var done bool
	err := m.with(func(p *goose.Provider) error {
		res, err := p.Down(ctx)
		if errors.Is(err, goose.ErrNoNextVersion) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("migrate down: %w", err)
		}
		done = res != nil
		return nil
	})
	return done, err
}

// DownTo rolls back every migration above version.
func (m *Migrator) DownTo(ctx context.Context, version int64) (int, error) {
	var n int
	err := m.with(func(p *goose.Provider) error {
		res, err := p.DownTo(ctx, version)
		n = len(res)
		if err != nil {
			return fmt.Errorf("migrate down to %d: %w", version, err)
		}
		return nil
	})
	return n, err
}

// Version returns the highest applied version (0 when none).
func (m *Migrator) Version(ctx context.Context) (int64, error) {
	var v int64
	err := m.with(func(p *goose.Provider) error {
		var err error
		v, err = p.GetDBVersion(ctx)
		return err
	})
	return v, err
}

// HasPending reports whether any migration is not yet applied.
func (m *Migrator) HasPending(ctx context.Context) (bool, error) {
	var pending bool
	err := m.with(func(p *goose.Provider) error {
		var err error
		pending, err = p.HasPending(ctx)
		return err
	})
	return pending, err
}

// Status lists every known migration with whether it is applied.
func (m *Migrator) Status(ctx context.Context) ([]MigrationStatus, error) {
	var out []MigrationStatus
	err := m.with(func(p *goose.Provider) error {
		list, err := p.Status(ctx)
		if err != nil {
			return fmt.Errorf("migration status: %w", err)
		}
		out = make([]MigrationStatus, 0, len(list))
		for _, s := range list {
			out = append(out, MigrationStatus{
				Version: s.Source.Version,
				Name:    s.Source.Path,
				Applied: s.State == goose.StateApplied,
			})
		}
		return nil
	})
	return out, err
}
