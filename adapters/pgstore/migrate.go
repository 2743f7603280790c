package pgstore

import (
	"context"
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
// "sqlite").
type Migrator struct {
	provider *goose.Provider
}

// NewMigrator returns a migrator over fsys for d's dialect.
func NewMigrator(d *DB, fsys fs.FS) (*Migrator, error) {
	sub, err := fs.Sub(fsys, string(d.dialect))
	if err != nil {
		return nil, fmt.Errorf("migrations for %s: %w", d.dialect, err)
	}
	sqlDB, err := d.gorm.DB()
	if err != nil {
		return nil, err
	}
	dialect := goose.DialectPostgres
	var opts []goose.ProviderOption
	if d.dialect == SQLite {
		dialect = goose.DialectSQLite3
	} else {
		// Several instances may start at once: a Postgres advisory lock lets
		// exactly one apply migrations while the others wait.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, sqlDB, sub, opts...)
	if err != nil {
		return nil, fmt.Errorf("migration provider: %w", err)
	}
	return &Migrator{provider: p}, nil
}

// Up applies every pending migration and returns how many ran.
func (m *Migrator) Up(ctx context.Context) (int, error) {
	res, err := m.provider.Up(ctx)
	if err != nil {
		return len(res), fmt.Errorf("migrate up: %w", err)
	}
	return len(res), nil
}

// Down rolls back the latest applied migration; it reports false when none
// was applied.
func (m *Migrator) Down(ctx context.Context) (bool, error) {
	res, err := m.provider.Down(ctx)
	if errors.Is(err, goose.ErrNoNextVersion) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("migrate down: %w", err)
	}
	return res != nil, nil
}

// DownTo rolls back every migration above version.
func (m *Migrator) DownTo(ctx context.Context, version int64) (int, error) {
	res, err := m.provider.DownTo(ctx, version)
	if err != nil {
		return len(res), fmt.Errorf("migrate down to %d: %w", version, err)
	}
	return len(res), nil
}

// Version returns the highest applied version (0 when none).
func (m *Migrator) Version(ctx context.Context) (int64, error) {
	return m.provider.GetDBVersion(ctx)
}

// HasPending reports whether any migration is not yet applied.
func (m *Migrator) HasPending(ctx context.Context) (bool, error) {
	return m.provider.HasPending(ctx)
}

// Status lists every known migration with whether it is applied.
func (m *Migrator) Status(ctx context.Context) ([]MigrationStatus, error) {
	list, err := m.provider.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	out := make([]MigrationStatus, 0, len(list))
	for _, s := range list {
		out = append(out, MigrationStatus{
			Version: s.Source.Version,
			Name:    s.Source.Path,
			Applied: s.State == goose.StateApplied,
		})
	}
	return out, nil
}
