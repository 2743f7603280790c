package pgstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
)

// Dialect names the SQL database behind a DB.
type Dialect string

// The supported dialects.
const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// Options says which database to open and how to size its pool.
type Options struct {
	// URL is a postgres:// URL; empty selects SQLite at SQLitePath.
	URL             string
	SQLitePath      string
	MaxOpenConns    int
	MaxIdleConns    int
	ConnMaxLifetime time.Duration
	// SlowQuery is the threshold above which a query is logged (0 = 200ms).
	SlowQuery time.Duration
	Logger    *slog.Logger
}

// DB is an open GORM database of a known dialect.
type DB struct {
	gorm    *gorm.DB
	dialect Dialect
}

// Open connects to PostgreSQL when o.URL is set, else opens (creating if
// needed) the SQLite file at o.SQLitePath in WAL mode with a busy timeout,
// foreign keys on and immediate write transactions, so concurrent writers
// queue instead of failing with "database is locked".
func Open(o Options) (*DB, error) {
	cfg := &gorm.Config{
		TranslateError:         true,
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return time.Now().UTC() },
		Logger:                 newGormLogger(o.Logger, o.SlowQuery),
	}
	var (
		gdb     *gorm.DB
		err     error
		dialect Dialect
	)
	if o.URL != "" {
		u, perr := url.Parse(o.URL)
		if perr != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return nil, errors.New("DATABASE_URL must be a postgres:// URL")
		}
		dialect = Postgres
		gdb, err = gorm.Open(postgres.Open(o.URL), cfg)
	} else {
		dialect = SQLite
		path := o.SQLitePath
		if path == "" {
			path = filepath.Join("var", "authy.db")
		}
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("create SQLite directory: %w", err)
			}
		}
		gdb, err = gorm.Open(sqlite.Open(sqliteDSN(path)), cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	sqlDB, err := gdb.DB()
	if err != nil {
		return nil, fmt.Errorf("database handle: %w", err)
	}
	maxOpen, maxIdle := o.MaxOpenConns, o.MaxIdleConns
	if maxOpen <= 0 {
		maxOpen = 20
	}
	if maxIdle <= 0 || maxIdle > maxOpen {
		maxIdle = maxOpen
	}
	sqlDB.SetMaxOpenConns(maxOpen)
	sqlDB.SetMaxIdleConns(maxIdle)
	if o.ConnMaxLifetime > 0 {
		sqlDB.SetConnMaxLifetime(o.ConnMaxLifetime)
	}
	return &DB{gorm: gdb, dialect: dialect}, nil
}

func sqliteDSN(path string) string {
	q := []string{
		"_pragma=journal_mode(WAL)",
		"_pragma=busy_timeout(10000)",
		"_pragma=foreign_keys(1)",
		"_pragma=synchronous(NORMAL)",
		// BEGIN IMMEDIATE takes the write lock up front, so the busy timeout
		// applies; a deferred transaction that upgrades from read to write
		// would fail at once with SQLITE_BUSY instead of waiting.
		"_txlock=immediate",
	}
	return "file:" + path + "?" + strings.Join(q, "&")
}

// Dialect reports which database this is.
func (d *DB) Dialect() Dialect { return d.dialect }

// Gorm returns the underlying handle, for adapters only.
func (d *DB) Gorm() *gorm.DB { return d.gorm }

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error {
	sqlDB, err := d.gorm.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Close closes the pool.
func (d *DB) Close() error {
	sqlDB, err := d.gorm.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// PoolStats returns the connection pool counters.
func (d *DB) PoolStats() (open, inUse, idle int, waitCount int64) {
	sqlDB, err := d.gorm.DB()
	if err != nil {
		return 0, 0, 0, 0
	}
	s := sqlDB.Stats()
	return s.OpenConnections, s.InUse, s.Idle, s.WaitCount
}
