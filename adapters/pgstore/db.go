package pgstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
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

	// ConnectTimeout bounds dialling and the start-up handshake of one
	// PostgreSQL connection, and the first ping (0 = 5s).
	ConnectTimeout time.Duration
	// StatementTimeout and IdleInTransactionTimeout set PostgreSQL's
	// statement_timeout and idle_in_transaction_session_timeout for every
	// connection of the pool, overriding the URL's (0 leaves the server's
	// setting). Migrations run without them.
	StatementTimeout         time.Duration
	IdleInTransactionTimeout time.Duration
	// DefaultTimeout bounds a statement or transaction whose context has no
	// deadline (0 = 30s). Requests bring their own deadline.
	DefaultTimeout time.Duration
}

// DB is an open GORM database of a known dialect.
type DB struct {
	gorm    *gorm.DB
	dialect Dialect
	bound   time.Duration
	// pg is the connection configuration of a PostgreSQL pool, which the
	// migrator copies without the session timeouts.
	pg *pgx.ConnConfig
}

// TCP settings of every PostgreSQL connection. Keepalive probes find a peer
// that vanished while the connection is idle (after about 10+3×5 s), and
// TCP_USER_TIMEOUT drops a connection whose sent data stays unacknowledged
// that long (a network black hole), which keepalive alone does not cover.
// A server that hangs while its kernel still acknowledges is caught by the
// context deadlines instead.
const (
	keepAliveIdle     = 10 * time.Second
	keepAliveInterval = 5 * time.Second
	keepAliveCount    = 3
	tcpUserTimeout    = 25 * time.Second
	connectTimeout    = 5 * time.Second
)

// Open connects to PostgreSQL when o.URL is set, else opens (creating if
// needed) the SQLite file at o.SQLitePath in WAL mode with a busy timeout,
// foreign keys on and immediate write transactions, so concurrent writers
// queue instead of failing with "database is locked".
//
// Every statement fails with ErrUnavailable when the database does not serve
// it, and none waits without limit: a statement or transaction whose context
// has no deadline gets o.DefaultTimeout.
func Open(o Options) (*DB, error) {
	cfg := &gorm.Config{
		TranslateError:         true,
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return time.Now().UTC() },
		Logger:                 newGormLogger(o.Logger, o.SlowQuery),
		// Open pings below, within ConnectTimeout; GORM's own ping has no
		// deadline.
		DisableAutomaticPing: true,
	}
	var (
		gdb     *gorm.DB
		err     error
		dialect Dialect
		pg      *pgx.ConnConfig
	)
	if o.URL != "" {
		u, perr := url.Parse(o.URL)
		if perr != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return nil, errors.New("DATABASE_URL must be a postgres:// URL")
		}
		dialect = Postgres
		if pg, err = pgConfig(o); err != nil {
			return nil, err
		}
		sqlDB := stdlib.OpenDB(*pg)
		if gdb, err = gorm.Open(postgres.New(postgres.Config{Conn: &pgPool{db: sqlDB}}), cfg); err != nil {
			_ = sqlDB.Close()
		}
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
	d := &DB{gorm: gdb, dialect: dialect, bound: o.DefaultTimeout, pg: pg}
	if d.bound <= 0 {
		d.bound = defaultBound
	}
	if err := registerCallbacks(gdb, d.bound); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("register callbacks: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), orDefault(o.ConnectTimeout, connectTimeout))
	defer cancel()
	if err := sqlDB.PingContext(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("open %s database: %w", dialect, AsUnavailable(err))
	}
	return d, nil
}

// pgConfig parses o.URL and bounds every wait of a connection: the connect
// timeout, TCP keepalive and user timeout, and the server-side timeouts.
func pgConfig(o Options) (*pgx.ConnConfig, error) {
	pg, err := pgx.ParseConfig(o.URL)
	if err != nil {
		// The parse error repeats the URL (password redacted); the
		// message says enough.
		return nil, errors.New("DATABASE_URL is not a valid PostgreSQL URL")
	}
	timeout := orDefault(o.ConnectTimeout, connectTimeout)
	pg.ConnectTimeout = timeout
	dialer := &net.Dialer{
		Timeout: timeout,
		KeepAliveConfig: net.KeepAliveConfig{
			Enable: true, Idle: keepAliveIdle, Interval: keepAliveInterval, Count: keepAliveCount,
		},
		Control: setTCPUserTimeout,
	}
	pg.DialFunc = dialer.DialContext
	for name, d := range map[string]time.Duration{
		"statement_timeout":                   o.StatementTimeout,
		"idle_in_transaction_session_timeout": o.IdleInTransactionTimeout,
	} {
		// Lock waits count toward statement_timeout, so no separate
		// lock_timeout is set.
		if d > 0 {
			pg.RuntimeParams[name] = strconv.FormatInt(max(d.Milliseconds(), 1), 10)
		}
	}
	return pg, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// migrationPool opens a separate PostgreSQL pool for migrations, without the
// session timeouts: a migration may take longer than any statement the
// application runs.
func (d *DB) migrationPool() *sql.DB {
	c := d.pg.Copy()
	delete(c.RuntimeParams, "statement_timeout")
	delete(c.RuntimeParams, "idle_in_transaction_session_timeout")
	return stdlib.OpenDB(*c)
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

// Ping checks that the database answers before ctx ends (or within the
// default bound when ctx has no deadline).
func (d *DB) Ping(ctx context.Context) error {
	sqlDB, err := d.gorm.DB()
	if err != nil {
		return err
	}
	ctx, cancel := withBound(ctx, d.bound)
	defer cancel()
	return AsUnavailable(sqlDB.PingContext(ctx))
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
