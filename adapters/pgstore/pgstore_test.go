package pgstore_test

import (
	"bytes"
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/domain/shared"
)

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func openSQLite(t *testing.T, o pgstore.Options) *pgstore.DB {
	t.Helper()
	o.SQLitePath = filepath.Join(t.TempDir(), "authy.db")
	db, err := pgstore.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestSlowQueryLog_ShowsPlaceholdersAndNeverTheBoundValues(t *testing.T) {
	var logs syncBuffer
	db := openSQLite(t, pgstore.Options{
		SlowQuery: time.Nanosecond, // every statement is slow
		Logger:    slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	const secret = "argon2id-hash-of-a-secret-password"
	conn := db.Conn(context.Background())
	if err := conn.Exec("CREATE TABLE people (email TEXT, hash TEXT)").Error; err != nil {
		t.Fatal(err)
	}
	if err := conn.Exec("INSERT INTO people (email, hash) VALUES (?, ?)", "ada@example.com", secret).Error; err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := db.Conn(context.Background()).Raw("SELECT count(*) FROM people WHERE hash = ?", secret).Scan(&n).Error; err != nil || n != 1 {
		t.Fatalf("count = %d, %v", n, err)
	}
	// A failing statement is logged too (at debug level).
	_ = db.Conn(context.Background()).Exec("INSERT INTO nowhere (hash) VALUES (?)", secret).Error

	out := logs.String()
	for _, want := range []string{
		`INSERT INTO people (email, hash) VALUES (?, ?)`,
		`SELECT count(*) FROM people WHERE hash = ?`,
		`INSERT INTO nowhere (hash) VALUES (?)`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks the statement %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, `"msg":"slow query"`) {
		t.Errorf("no slow query was logged:\n%s", out)
	}
	for _, leaked := range []string{secret, "ada@example.com"} {
		if strings.Contains(out, leaked) {
			t.Errorf("the log contains the bound value %q:\n%s", leaked, out)
		}
	}
}

type liteError struct{ code int }

func (e liteError) Error() string { return fmt.Sprintf("sqlite error %d", e.code) }
func (e liteError) Code() int     { return e.code }

func TestIsUnavailable_TellsAnOutageFromARefusedStatement(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"a request deadline", fmt.Errorf("get user: %w", context.DeadlineExceeded), true},
		{"a client that went away", context.Canceled, true},
		{"a refused connection", refused, true},
		{"a connection reset", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, true},
		{"a dropped connection", io.ErrUnexpectedEOF, true},
		{"a broken pooled connection", driver.ErrBadConn, true},
		{"statement_timeout", &pgconn.PgError{Code: "57014"}, true},
		{"a server shutting down", &pgconn.PgError{Code: "57P01"}, true},
		{"too many connections", &pgconn.PgError{Code: "53300"}, true},
		{"a connection exception", &pgconn.PgError{Code: "08006"}, true},
		{"lock_timeout", &pgconn.PgError{Code: "55P03"}, true},
		{"a read-only server after fail-over", &pgconn.PgError{Code: "25006"}, true},
		{"SQLite busy", liteError{5}, true},
		{"SQLite locked (extended code)", liteError{6 | 1<<8}, true},
		{"a unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"a syntax error", &pgconn.PgError{Code: "42601"}, false},
		{"SQLite constraint", liteError{19}, false},
		{"not found", gorm.ErrRecordNotFound, false},
		{"a plain error", errors.New("the closure changed the id"), false},
		{"nil", nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := pgstore.IsUnavailable(c.err); got != c.want {
				t.Fatalf("IsUnavailable(%v) = %v, want %v", c.err, got, c.want)
			}
			got := pgstore.AsUnavailable(c.err)
			if c.want {
				if shared.KindOf(got) != shared.KindUnavailable || !errors.Is(got, pgstore.ErrUnavailable) || !errors.Is(got, c.err) {
					t.Fatalf("AsUnavailable(%v) = %v, want ErrUnavailable wrapping it", c.err, got)
				}
			} else if got != c.err {
				t.Fatalf("AsUnavailable(%v) = %v, want it unchanged", c.err, got)
			}
		})
	}
}

func TestAsUnavailable_KeepsAnErrorThatAlreadyHasAKind(t *testing.T) {
	taken := shared.Conflict("identity.email_taken", "taken").WithCause(context.DeadlineExceeded)
	if got := pgstore.AsUnavailable(taken); got != error(taken) {
		t.Fatalf("AsUnavailable changed a typed error: %v", got)
	}
}

func TestStatements_ThatOutliveTheirContextFailAsUnavailable(t *testing.T) {
	db := openSQLite(t, pgstore.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var n int
	checks := map[string]error{
		"query": db.Conn(ctx).Raw("SELECT 1").Scan(&n).Error,
		"exec":  db.Conn(ctx).Exec("SELECT 1").Error,
		"transaction": db.Transaction(ctx, func(ctx context.Context) error {
			return db.Conn(ctx).Exec("SELECT 1").Error
		}),
		"ping": db.Ping(ctx),
	}
	for name, err := range checks {
		if shared.KindOf(err) != shared.KindUnavailable || !errors.Is(err, pgstore.ErrUnavailable) {
			t.Errorf("%s with an ended context: %v, want ErrUnavailable", name, err)
		}
	}
}

func TestTransaction_WithoutADeadlineGetsTheDefaultBound(t *testing.T) {
	db := openSQLite(t, pgstore.Options{DefaultTimeout: time.Minute})
	began := time.Now()
	err := db.Transaction(context.Background(), func(ctx context.Context) error {
		deadline, ok := ctx.Deadline()
		if !ok || deadline.After(began.Add(time.Minute+time.Second)) {
			return fmt.Errorf("transaction context deadline %v (set %v), want within a minute", deadline, ok)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A caller's own deadline is kept.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Hour)
	defer cancel()
	want, _ := ctx.Deadline()
	err = db.Transaction(ctx, func(ctx context.Context) error {
		if got, _ := ctx.Deadline(); !got.Equal(want) {
			return fmt.Errorf("deadline %v, want the caller's %v", got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestStatements_WithoutADeadlineRunWithTheDefaultBound(t *testing.T) {
	db := openSQLite(t, pgstore.Options{DefaultTimeout: time.Minute})
	type seen struct {
		deadline time.Time
		bounded  bool
		err      error
	}
	var got []seen
	capture := func(tx *gorm.DB) {
		d, ok := tx.Statement.Context.Deadline()
		got = append(got, seen{d, ok, tx.Statement.Context.Err()})
	}
	if err := db.Gorm().Callback().Raw().Before("gorm:raw").Register("test:capture", capture); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	// Two statements on one handle: the second must not inherit the
	// first one's (by then cancelled) bound.
	q := db.Conn(context.Background())
	for range 2 {
		if err := q.Exec("SELECT 1").Error; err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 2 {
		t.Fatalf("captured %d statements", len(got))
	}
	for i, s := range got {
		if !s.bounded || s.deadline.After(began.Add(time.Minute+time.Second)) || s.err != nil {
			t.Fatalf("statement %d ran with deadline %v (set %v, err %v), want a live one within a minute", i, s.deadline, s.bounded, s.err)
		}
	}
	// A caller's own deadline is kept.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Hour)
	defer cancel()
	want, _ := ctx.Deadline()
	if err := db.Conn(ctx).Exec("SELECT 1").Error; err != nil {
		t.Fatal(err)
	}
	if last := got[len(got)-1]; !last.deadline.Equal(want) {
		t.Fatalf("deadline %v, want the caller's %v", last.deadline, want)
	}
}
