//go:build integration

package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/migrations"
	"github.com/secuird/authy/tests/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

type dbCase struct {
	name string
	open func(t *testing.T) *pgstore.DB
}

func backends() []dbCase {
	return []dbCase{
		{"postgres", func(t *testing.T) *pgstore.DB {
			return open(t, pgstore.Options{URL: testenv.NewPostgresDatabase(t)})
		}},
		{"sqlite", func(t *testing.T) *pgstore.DB {
			return open(t, pgstore.Options{SQLitePath: filepath.Join(t.TempDir(), "authy.db")})
		}},
	}
}

func open(t *testing.T, o pgstore.Options) *pgstore.DB {
	t.Helper()
	if o.MaxOpenConns == 0 {
		o.MaxOpenConns = 8
	}
	db, err := pgstore.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestMigrations_UpDownToZeroAndUpAgain(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			db := b.open(t)
			m, err := pgstore.NewMigrator(db, migrations.FS)
			if err != nil {
				t.Fatal(err)
			}
			status, err := m.Status(ctx)
			if err != nil || len(status) == 0 {
				t.Fatalf("status: %v %v", status, err)
			}
			latest := status[len(status)-1].Version
			if n, err := m.Up(ctx); err != nil || n != len(status) {
				t.Fatalf("up: %d %v", n, err)
			}
			if v, _ := m.Version(ctx); v != latest {
				t.Fatalf("version after up = %d, want %d", v, latest)
			}
			if pending, _ := m.HasPending(ctx); pending {
				t.Fatal("nothing should be pending after up")
			}
			if n, err := m.DownTo(ctx, 0); err != nil || n != len(status) {
				t.Fatalf("down to zero: %d %v", n, err)
			}
			if v, _ := m.Version(ctx); v != 0 {
				t.Fatalf("version after down = %d", v)
			}
			if err := db.Gorm().Exec("SELECT 1 FROM users").Error; err == nil {
				t.Fatal("users must be gone after down to zero")
			}
			if n, err := m.Up(ctx); err != nil || n != len(status) {
				t.Fatalf("up again: %d %v", n, err)
			}
			if done, err := m.Down(ctx); err != nil || !done {
				t.Fatalf("one step down: %v %v", done, err)
			}
			if v, _ := m.Version(ctx); v >= latest {
				t.Fatalf("one step down left version %d", v)
			}
		})
	}
}

type probe struct {
	ID   string `gorm:"primaryKey"`
	Name string `gorm:"uniqueIndex"`
}

func migrated(t *testing.T, db *pgstore.DB) {
	t.Helper()
	if err := db.Gorm().AutoMigrate(&probe{}); err != nil {
		t.Fatal(err)
	}
}

func TestTransaction_RollsBackOnErrorAndJoinsNestedCalls(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			db := b.open(t)
			migrated(t, db)
			boom := errors.New("boom")
			var afterCommit int
			err := db.Transaction(ctx, func(ctx context.Context) error {
				if err := db.Conn(ctx).Create(&probe{ID: uuid.NewString(), Name: "rolled-back"}).Error; err != nil {
					return err
				}
				db.AfterCommit(ctx, func(context.Context) { afterCommit++ })
				return db.Transaction(ctx, func(ctx context.Context) error { return boom }) // joins, then fails
			})
			if !errors.Is(err, boom) {
				t.Fatalf("err = %v", err)
			}
			var n int64
			db.Gorm().Model(&probe{}).Where("name = ?", "rolled-back").Count(&n)
			if n != 0 || afterCommit != 0 {
				t.Fatalf("rolled back tx left %d rows and ran %d after-commit hooks", n, afterCommit)
			}
			err = db.Transaction(ctx, func(ctx context.Context) error {
				db.AfterCommit(ctx, func(context.Context) { afterCommit++ })
				if afterCommit != 0 {
					t.Error("after-commit hook ran before the commit")
				}
				return db.Conn(ctx).Create(&probe{ID: uuid.NewString(), Name: "kept"}).Error
			})
			if err != nil || afterCommit != 1 {
				t.Fatalf("commit: %v, hooks run %d", err, afterCommit)
			}
		})
	}
}

func TestIsDuplicate_RecognisesUniqueViolationsOnBothDialects(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			migrated(t, db)
			ctx := context.Background()
			if err := db.Conn(ctx).Create(&probe{ID: uuid.NewString(), Name: "same"}).Error; err != nil {
				t.Fatal(err)
			}
			err := db.Conn(ctx).Create(&probe{ID: uuid.NewString(), Name: "same"}).Error
			if !pgstore.IsDuplicate(err) {
				t.Fatalf("duplicate not recognised: %v", err)
			}
			err = db.Conn(ctx).Where("name = ?", "absent").First(&probe{}).Error
			if !pgstore.IsNotFound(err) {
				t.Fatalf("not found not recognised: %v", err)
			}
		})
	}
}

func TestSQLite_ConcurrentWritersNeverSeeDatabaseIsLocked(t *testing.T) {
	db := open(t, pgstore.Options{SQLitePath: filepath.Join(t.TempDir(), "authy.db")})
	migrated(t, db)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				err := db.Transaction(ctx, func(ctx context.Context) error {
					var n int64
					if err := db.Conn(ctx).Model(&probe{}).Count(&n).Error; err != nil {
						return err
					}
					return db.Conn(ctx).Create(&probe{ID: uuid.NewString(), Name: fmt.Sprintf("w%d-%d", w, i)}).Error
				})
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if strings.Contains(err.Error(), "locked") || strings.Contains(err.Error(), "busy") {
			t.Fatalf("SQLite lock error under concurrency: %v", err)
		}
		t.Fatal(err)
	}
	var n int64
	db.Gorm().Model(&probe{}).Count(&n)
	if n != 400 {
		t.Fatalf("rows = %d, want 400", n)
	}
}

func TestOpen_RefusesANonPostgresURL(t *testing.T) {
	if _, err := pgstore.Open(pgstore.Options{URL: "mysql://root@localhost/x"}); err == nil {
		t.Fatal("want an error")
	}
}

func TestMigrations_ConcurrentInstancesApplyEachMigrationOnce(t *testing.T) {
	url := testenv.NewPostgresDatabase(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	applied := make(chan int, 4)
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db := open(t, pgstore.Options{URL: url})
			m, err := pgstore.NewMigrator(db, migrations.FS)
			if err != nil {
				errs <- err
				return
			}
			n, err := m.Up(ctx)
			if err != nil {
				errs <- err
				return
			}
			applied <- n
		}()
	}
	wg.Wait()
	close(applied)
	close(errs)
	for err := range errs {
		t.Fatalf("a concurrent instance failed to migrate: %v", err)
	}
	total := 0
	for n := range applied {
		total += n
	}
	// Every known migration: the SQL files and the Go data migrations.
	m, err := pgstore.NewMigrator(open(t, pgstore.Options{URL: url}), migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	known, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if total != len(known) {
		t.Fatalf("migrations applied %d times in total, want each of %d once", total, len(known))
	}
}

func TestSQLite_RunsInWALModeWithForeignKeysAndABusyTimeout(t *testing.T) {
	db := open(t, pgstore.Options{SQLitePath: filepath.Join(t.TempDir(), "authy.db")})
	var mode string
	var fk, timeout int
	db.Gorm().Raw("PRAGMA journal_mode").Scan(&mode)
	db.Gorm().Raw("PRAGMA foreign_keys").Scan(&fk)
	db.Gorm().Raw("PRAGMA busy_timeout").Scan(&timeout)
	if mode != "wal" || fk != 1 || timeout < 1000 {
		t.Fatalf("journal_mode=%q foreign_keys=%d busy_timeout=%d", mode, fk, timeout)
	}
}

func TestPostgres_PoolIsSizedFromOptions(t *testing.T) {
	db := open(t, pgstore.Options{URL: testenv.PostgresURL(t), MaxOpenConns: 7})
	sqlDB, _ := db.Gorm().DB()
	if got := sqlDB.Stats().MaxOpenConnections; got != 7 {
		t.Fatalf("max open connections = %d, want 7", got)
	}
}

func TestPostgres_AStatementOverTheStatementTimeoutFailsAsUnavailable(t *testing.T) {
	db := open(t, pgstore.Options{URL: testenv.NewPostgresDatabase(t), StatementTimeout: 100 * time.Millisecond, IdleInTransactionTimeout: 3 * time.Second})
	var st, idle string
	db.Gorm().Raw("SHOW statement_timeout").Scan(&st)
	db.Gorm().Raw("SHOW idle_in_transaction_session_timeout").Scan(&idle)
	if st != "100ms" || idle != "3s" {
		t.Fatalf("statement_timeout=%q idle_in_transaction_session_timeout=%q", st, idle)
	}
	err := db.Conn(context.Background()).Exec("SELECT pg_sleep(5)").Error
	var pgErr *pgconn.PgError
	if shared.KindOf(err) != shared.KindUnavailable || !errors.As(err, &pgErr) || pgErr.Code != "57014" {
		t.Fatalf("a statement over statement_timeout: %v, want ErrUnavailable wrapping 57014", err)
	}
}

func TestPostgres_AStatementWithoutADeadlineEndsAtTheDefaultBound(t *testing.T) {
	db := open(t, pgstore.Options{URL: testenv.NewPostgresDatabase(t), DefaultTimeout: 200 * time.Millisecond})
	ctx := context.Background()
	var n int
	checks := map[string]error{
		"exec": db.Conn(ctx).Exec("SELECT pg_sleep(30)").Error,
		"scan": db.Conn(ctx).Raw("SELECT 1 FROM pg_sleep(30)").Scan(&n).Error,
		"transaction": db.Transaction(ctx, func(ctx context.Context) error {
			return db.Conn(ctx).Exec("SELECT pg_sleep(30)").Error
		}),
	}
	for name, err := range checks {
		if shared.KindOf(err) != shared.KindUnavailable {
			t.Errorf("%s of 30 s without a deadline: %v, want ErrUnavailable", name, err)
		}
	}
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("the pool does not recover: %v", err)
	}
}

func TestPostgres_ARefusedConnectionIsUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	_, err = pgstore.Open(pgstore.Options{URL: "postgres://postgres@" + addr + "/authy?sslmode=disable"})
	if shared.KindOf(err) != shared.KindUnavailable {
		t.Fatalf("open against a closed port: %v, want ErrUnavailable", err)
	}
}

func TestPostgres_AServerThatNeverAnswersFailsWithinTheConnectTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(io.Discard, c) }() // accepts, reads, never answers
		}
	}()
	done := make(chan error, 1)
	go func() {
		_, err := pgstore.Open(pgstore.Options{URL: "postgres://postgres@" + ln.Addr().String() + "/authy?sslmode=disable", ConnectTimeout: 200 * time.Millisecond})
		done <- err
	}()
	select {
	case err := <-done:
		if shared.KindOf(err) != shared.KindUnavailable {
			t.Fatalf("open against a silent server: %v, want ErrUnavailable", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("open against a silent server did not return")
	}
}

func TestMigrations_RunWithoutTheApplicationsStatementTimeout(t *testing.T) {
	fsys := fstest.MapFS{}
	entries, err := fs.ReadDir(migrations.FS, "postgres")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		raw, err := fs.ReadFile(migrations.FS, "postgres/"+e.Name())
		if err != nil {
			t.Fatal(err)
		}
		fsys["postgres/"+e.Name()] = &fstest.MapFile{Data: raw}
	}
	fsys["postgres/09999_slow.sql"] = &fstest.MapFile{Data: []byte("-- +goose Up\nSELECT pg_sleep(0.5);\n-- +goose Down\nSELECT 1;\n")}
	db := open(t, pgstore.Options{URL: testenv.NewPostgresDatabase(t), StatementTimeout: 100 * time.Millisecond})
	m, err := pgstore.NewMigrator(db, fsys)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(context.Background()); err != nil {
		t.Fatalf("a migration longer than statement_timeout: %v", err)
	}
	if err := db.Conn(context.Background()).Exec("SELECT pg_sleep(0.5)").Error; shared.KindOf(err) != shared.KindUnavailable {
		t.Fatalf("the application's statements keep the timeout: %v", err)
	}
}
