// Package testenv is the integration harness: it hands each test package its
// own PostgreSQL database and Redis key prefix, and removes them afterwards.
//
// Services come from TEST_DATABASE_URL and TEST_REDIS_URL when set (CI and
// machines with local services); otherwise they are started once per test
// binary with testcontainers-go. When neither works the test fails with a
// message saying what to set: integration tests never skip silently.
//
// Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for CREATE/DROP DATABASE
	"github.com/redis/go-redis/v9"
	"github.com/testcontainers/testcontainers-go"
	tcpostgres "github.com/testcontainers/testcontainers-go/modules/postgres"
	tcredis "github.com/testcontainers/testcontainers-go/modules/redis"
)

const howToFix = "set TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable) " +
	"and TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/0), or run a Docker engine for testcontainers-go"

var (
	mu          sync.Mutex
	cleanups    []func()
	pgBase      string
	pgBaseErr   error
	pgOnce      sync.Once
	redisBase   string
	redisErr    error
	redisOnce   sync.Once
	pkgDBOnce   sync.Once
	pkgDBURL    string
	pkgDBErr    error
	nonAlnum    = regexp.MustCompile(`[^a-z0-9]+`)
	runIdentity = randomHex(4)
)

// Run runs the package's tests and then drops every database, key prefix and
// container the harness created. Pass its result to os.Exit.
func Run(m *testing.M) int {
	code := m.Run()
	mu.Lock()
	list := cleanups
	cleanups = nil
	mu.Unlock()
	for i := len(list) - 1; i >= 0; i-- {
		list[i]()
	}
	return code
}

func atExit(f func()) {
	mu.Lock()
	cleanups = append(cleanups, f)
	mu.Unlock()
}

// PostgresBaseURL returns the server URL the harness creates databases on.
func PostgresBaseURL(t testing.TB) string {
	t.Helper()
	pgOnce.Do(func() {
		if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
			pgBase = u
			return
		}
		ctx := context.Background()
		c, err := tcpostgres.Run(ctx, "postgres:16-alpine",
			tcpostgres.WithDatabase("postgres"), tcpostgres.WithUsername("postgres"),
			tcpostgres.WithPassword("postgres"), tcpostgres.BasicWaitStrategies())
		if err != nil {
			pgBaseErr = err
			return
		}
		atExit(func() { _ = testcontainers.TerminateContainer(c) })
		pgBase, pgBaseErr = c.ConnectionString(ctx, "sslmode=disable")
	})
	if pgBaseErr != nil {
		t.Fatalf("no PostgreSQL for integration tests: %v; %s", pgBaseErr, howToFix)
	}
	return pgBase
}

// PostgresURL returns the URL of this test package's own database, created
// on first use and dropped when Run finishes.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := PostgresBaseURL(t)
	pkgDBOnce.Do(func() {
		var drop func()
		pkgDBURL, drop, pkgDBErr = createDatabase(base, packageName())
		if pkgDBErr == nil {
			atExit(drop)
		}
	})
	if pkgDBErr != nil {
		t.Fatalf("create test database: %v", pkgDBErr)
	}
	return pkgDBURL
}

// NewPostgresDatabase creates a fresh, empty database for one test and drops
// it when the test ends.
func NewPostgresDatabase(t testing.TB) string {
	t.Helper()
	u, drop, err := createDatabase(PostgresBaseURL(t), packageName())
	if err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(drop)
	return u
}

func createDatabase(base, label string) (string, func(), error) {
	name := fmt.Sprintf("authy_t_%s_%s_%s", label, runIdentity, randomHex(3))
	if len(name) > 63 {
		name = name[:63]
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE "`+name+`"`); err != nil {
		return "", nil, err
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	drop := func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = a.ExecContext(ctx, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`)
	}
	return u.String(), drop, nil
}

// RedisURL returns the Redis server URL for integration tests.
func RedisURL(t testing.TB) string {
	t.Helper()
	redisOnce.Do(func() {
		if u := os.Getenv("TEST_REDIS_URL"); u != "" {
			redisBase = u
			return
		}
		ctx := context.Background()
		c, err := tcredis.Run(ctx, "redis:7-alpine")
		if err != nil {
			redisErr = err
			return
		}
		atExit(func() { _ = testcontainers.TerminateContainer(c) })
		redisBase, redisErr = c.ConnectionString(ctx)
	})
	if redisErr != nil {
		t.Fatalf("no Redis for integration tests: %v; %s", redisErr, howToFix)
	}
	return redisBase
}

// RedisPrefix returns a key prefix no other test or run uses; every key under
// it is deleted when Run finishes.
func RedisPrefix(t testing.TB) string {
	t.Helper()
	base := RedisURL(t)
	prefix := fmt.Sprintf("authy:test:%s:%s:%s:", packageName(), runIdentity, randomHex(3))
	atExit(func() { deletePrefix(base, prefix) })
	return prefix
}

func deletePrefix(base, prefix string) {
	opt, err := redis.ParseURL(base)
	if err != nil {
		return
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	iter := rdb.Scan(ctx, 0, prefix+"*", 500).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 500 {
			rdb.Del(ctx, batch...)
			batch = batch[:0]
		}
	}
	if len(batch) > 0 {
		rdb.Del(ctx, batch...)
	}
}

// SQLiteURL returns a path for a fresh SQLite database file in the test's
// temporary directory.
func SQLiteURL(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "authy.db")
}

// Unique returns a short random string for test data (emails, slugs).
func Unique() string { return randomHex(6) }

func packageName() string {
	exe := filepath.Base(os.Args[0])
	exe = strings.TrimSuffix(exe, ".test")
	exe = nonAlnum.ReplaceAllString(strings.ToLower(exe), "")
	if len(exe) > 20 {
		exe = exe[:20]
	}
	if exe == "" {
		exe = "pkg"
	}
	return exe
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
