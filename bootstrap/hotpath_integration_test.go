//go:build integration

package bootstrap

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/tests/testenv"
)

// requestIO counts what requests cost the outside world: Redis round trips
// (a pipeline is one) and database statements made on behalf of a request
// (its context carries the request id), leaving the background workers
// out. It also records every Redis command sent while the request's
// context carried a database transaction.
type requestIO struct {
	db *pgstore.DB

	mu         sync.Mutex
	redisTrips int
	commands   []string
	statements []string
	inTx       []string
}

func (c *requestIO) ofRequest(ctx context.Context) bool {
	return ctx != nil && shared.RequestMetaFrom(ctx).RequestID != ""
}

func (c *requestIO) sawRedis(ctx context.Context, cmds []redis.Cmder) {
	if !c.ofRequest(ctx) {
		return
	}
	names := make([]string, len(cmds))
	for i, cmd := range cmds {
		names[i] = cmd.Name()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.redisTrips++
	c.commands = append(c.commands, strings.Join(names, "+"))
	if c.db.InTx(ctx) {
		c.inTx = append(c.inTx, strings.Join(names, "+"))
	}
}

func (c *requestIO) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *requestIO) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.sawRedis(ctx, []redis.Cmder{cmd})
		return next(ctx, cmd)
	}
}

func (c *requestIO) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.sawRedis(ctx, cmds)
		return next(ctx, cmds)
	}
}

func (c *requestIO) sawStatement(tx *gorm.DB) {
	if !c.ofRequest(tx.Statement.Context) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.statements = append(c.statements, tx.Statement.SQL.String())
}

// take returns and resets the counts.
func (c *requestIO) take() (trips int, commands, statements []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	trips, commands, statements = c.redisTrips, c.commands, c.statements
	c.redisTrips, c.commands, c.statements = 0, nil, nil
	return trips, commands, statements
}

func (c *requestIO) commandsInTx() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.inTx...)
}

// hotPathServer boots the app on backend with a clock that does not move
// (so the idle window never slides: what a request costs is its reads) and
// counts its requests' I/O.
func hotPathServer(t *testing.T, production bool) (string, *requestIO) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.AppEnv = EnvTesting
	cfg.LogLevel = "error"
	if production {
		cfg.DatabaseURL = testenv.NewPostgresDatabase(t)
		cfg.RedisURL = testenv.RedisURL(t)
		cfg.RedisKeyPrefix = "authy:test:bootstrap:hotpath:" + testenv.Unique() + ":"
		t.Cleanup(func() { dropPrefix(cfg.RedisURL, cfg.RedisKeyPrefix) })
	} else {
		cfg.SQLitePath = filepath.Join(t.TempDir(), "authy.db")
	}
	now := time.Now().UTC()
	probe := &requestIO{}
	count := func(a *App) {
		probe.db = a.db
		if a.rdb != nil {
			a.rdb.AddHook(probe)
		}
		cb := a.db.Gorm().Callback()
		for name, err := range map[string]error{
			"query":  cb.Query().Before("*").Register("test:hotpath", probe.sawStatement),
			"create": cb.Create().Before("*").Register("test:hotpath", probe.sawStatement),
			"update": cb.Update().Before("*").Register("test:hotpath", probe.sawStatement),
			"delete": cb.Delete().Before("*").Register("test:hotpath", probe.sawStatement),
			"raw":    cb.Raw().Before("*").Register("test:hotpath", probe.sawStatement),
			"row":    cb.Row().Before("*").Register("test:hotpath", probe.sawStatement),
		} {
			if err != nil {
				t.Fatalf("register %s callback: %v", name, err)
			}
		}
	}
	app, err := New(context.Background(), cfg,
		WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		WithClock(platformport.ClockFunc(func() time.Time { return now })),
		func(o *buildOptions) { o.connected = count })
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return "http://" + ln.Addr().String(), probe
}

func dropPrefix(url, prefix string) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return
	}
	rdb := redis.NewClient(opt)
	defer func() { _ = rdb.Close() }()
	ctx := context.Background()
	iter := rdb.Scan(ctx, 0, prefix+"*", 500).Iterator()
	for iter.Next(ctx) {
		_ = rdb.Del(ctx, iter.Val()).Err()
	}
}

type hotPathClient struct {
	base string
	http *http.Client
}

func (c hotPathClient) do(t *testing.T, method, path string, body any, token string, want int) []byte {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, res.StatusCode, want, out)
	}
	return out
}

func (c hotPathClient) signIn(t *testing.T, password string) string {
	t.Helper()
	email := "hot-" + testenv.Unique() + "@example.test"
	c.do(t, "POST", "/api/v1/auth/register", map[string]any{"email": email, "password": password, "name": "Hot Path"}, "", http.StatusCreated)
	var login struct {
		Data struct {
			Token string `json:"token"`
		} `json:"data"`
	}
	if err := json.Unmarshal(c.do(t, "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}, "", http.StatusOK), &login); err != nil {
		t.Fatal(err)
	}
	return login.Data.Token
}

func TestHotPath_AValidAuthenticatedRequestCostsOneRedisRoundTripAndNoDatabaseStatement(t *testing.T) {
	for _, backend := range []struct {
		name       string
		production bool
		trips      int
	}{
		{"postgres+redis", true, 1},
		{"sqlite+in-process", false, 0},
	} {
		t.Run(backend.name, func(t *testing.T) {
			base, probe := hotPathServer(t, backend.production)
			c := hotPathClient{base: base, http: &http.Client{Timeout: 10 * time.Second}}
			token := c.signIn(t, "Hot path pass phrase 1")
			// The first read of the profile fills its cache.
			c.do(t, "GET", "/api/v1/auth/me", nil, token, http.StatusOK)
			probe.take()
			const n = 20
			for range n {
				c.do(t, "GET", "/api/v1/auth/me", nil, token, http.StatusOK)
			}
			trips, commands, statements := probe.take()
			if trips != n*backend.trips {
				t.Errorf("%d Redis round trips for %d requests, want %d each: %v", trips, n, backend.trips, commands)
			}
			if len(statements) != 0 {
				t.Errorf("%d database statements for %d valid authenticated requests, want none: %v", len(statements), n, statements)
			}
		})
	}
}

func TestHotPath_NoRedisCallIsMadeWhileARequestHoldsATransaction(t *testing.T) {
	base, probe := hotPathServer(t, true)
	c := hotPathClient{base: base, http: &http.Client{Timeout: 10 * time.Second}}
	const password = "Hot path pass phrase 1"
	token := c.signIn(t, password)
	c.do(t, "GET", "/api/v1/auth/me", nil, token, http.StatusOK)
	c.do(t, "PATCH", "/api/v1/users/me", map[string]any{"name": "Renamed"}, token, http.StatusOK)
	c.do(t, "GET", "/api/v1/auth/me", nil, token, http.StatusOK)
	c.do(t, "POST", "/api/v1/auth/sessions/refresh", nil, token, http.StatusOK)
	c.do(t, "POST", "/api/v1/users/me/password", map[string]any{"current_password": password, "new_password": "Another pass phrase 2"}, token, http.StatusOK)
	c.do(t, "GET", "/api/v1/auth/me", nil, token, http.StatusOK)
	c.do(t, "POST", "/api/v1/auth/logout", nil, token, http.StatusOK)
	c.do(t, "GET", "/api/v1/auth/me", nil, token, http.StatusUnauthorized)
	if _, commands, _ := probe.take(); len(commands) == 0 {
		t.Fatal("no Redis command was counted: the probe sees nothing")
	}
	if calls := probe.commandsInTx(); len(calls) != 0 {
		t.Fatalf("Redis called inside a database transaction: %v", calls)
	}
}
