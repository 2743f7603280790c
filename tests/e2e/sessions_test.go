//go:build integration

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/security"
	"github.com/secuird/authy/bootstrap"
	"github.com/secuird/authy/tests/apitest"
	"github.com/secuird/authy/tests/testenv"
)

const sessPassword = "Sessions pass 1!"

// sessClock is a clock the tests move by hand, shared by the instances of
// one test. It starts at the real time so Redis expiries stay sensible.
type sessClock struct {
	mu  sync.Mutex
	now time.Time
}

func newSessClock(start time.Time) *sessClock { return &sessClock{now: start.UTC()} }

func (c *sessClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *sessClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type sessView struct {
	ID                string    `json:"id"`
	CreatedAt         time.Time `json:"created_at"`
	LastSeenAt        time.Time `json:"last_seen_at"`
	ExpiresAt         time.Time `json:"expires_at"`
	AbsoluteExpiresAt time.Time `json:"absolute_expires_at"`
	IP                string    `json:"ip"`
	UserAgent         string    `json:"user_agent"`
	Current           bool      `json:"current"`
}

type sessLogin struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	Session   struct {
		ID string `json:"id"`
	} `json:"session"`
}

// sessStart boots a server with short session limits (idle 60 s, absolute
// 300 s unless changed) and a generous login limit (every login here comes
// from one address).
func sessStart(t *testing.T, backend apitest.Backend, clock *sessClock, opts ...apitest.Option) *apitest.Server {
	t.Helper()
	base := []apitest.Option{apitest.WithConfig(func(c *bootstrap.Config) {
		c.SessionIdleTimeout, c.SessionAbsoluteTimeout = 60, 300
		c.LoginRateLimitPerIP = 1000
	})}
	if clock != nil {
		base = append(base, apitest.WithClock(clock))
	}
	return apitest.Start(t, backend, append(base, opts...)...)
}

func sessExpect(t *testing.T, res *apitest.Response, status int) *apitest.Response {
	t.Helper()
	if res.Status != status {
		t.Fatalf("status %d, want %d: %s", res.Status, status, res.Body)
	}
	return res
}

func sessRefused(t *testing.T, srv *apitest.Server, token string) {
	t.Helper()
	res := sessExpect(t, srv.Do(t, "GET", "/api/v1/auth/sessions", nil, token), http.StatusUnauthorized)
	if res.Env.Error == nil || res.Env.Error.Type != "AUTHENTICATION_ERROR" {
		t.Fatalf("error %+v", res.Env.Error)
	}
}

func sessSignup(t *testing.T, srv *apitest.Server) string {
	t.Helper()
	email := "sess-" + testenv.Unique() + "@example.test"
	sessExpect(t, srv.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": email, "password": sessPassword, "name": "Sessions Tester"}, ""), http.StatusCreated)
	return email
}

func sessLoginAs(t *testing.T, srv *apitest.Server, email, agent string) sessLogin {
	t.Helper()
	res := srv.DoWithHeaders(t, "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": sessPassword}, "",
		map[string]string{"User-Agent": agent})
	var out sessLogin
	sessExpect(t, res, http.StatusOK).Decode(t, &out)
	if len(out.Token) < 43 || out.Session.ID == "" {
		t.Fatalf("login %+v", out)
	}
	return out
}

func sessList(t *testing.T, srv *apitest.Server, token, query string) ([]sessView, *string) {
	t.Helper()
	res := sessExpect(t, srv.Do(t, "GET", "/api/v1/auth/sessions"+query, nil, token), http.StatusOK)
	var items []sessView
	res.Decode(t, &items)
	var meta struct {
		NextCursor *string `json:"next_cursor"`
	}
	res.DecodeMeta(t, &meta)
	return items, meta.NextCursor
}

func TestSessions_ListShowsTheUsersActiveSessionsMarkingTheCurrentOneAndPages(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := sessStart(t, backend, nil)
			email := sessSignup(t, srv)
			var logins []sessLogin
			for i := 0; i < 3; i++ {
				logins = append(logins, sessLoginAs(t, srv, email, fmt.Sprintf("agent-%d", i)))
			}
			stranger := sessLoginAs(t, srv, sessSignup(t, srv), "stranger")
			items, next := sessList(t, srv, logins[1].Token, "")
			if len(items) != 3 || next != nil {
				t.Fatalf("%d sessions, next %v; want 3 on one page", len(items), next)
			}
			for i, it := range items {
				want := logins[2-i]
				if it.ID != want.Session.ID || it.Current != (i == 1) || it.UserAgent != fmt.Sprintf("agent-%d", 2-i) {
					t.Fatalf("item %d: %+v", i, it)
				}
				if it.IP != "127.0.0.1" || !it.ExpiresAt.After(it.CreatedAt) || it.AbsoluteExpiresAt.Sub(it.CreatedAt) != 300*time.Second {
					t.Fatalf("item %d window: %+v", i, it)
				}
				if it.ID == stranger.Session.ID {
					t.Fatal("another user's session is listed")
				}
			}
			page1, next := sessList(t, srv, logins[0].Token, "?limit=2")
			if len(page1) != 2 || next == nil {
				t.Fatalf("first page %d, next %v", len(page1), next)
			}
			page2, last := sessList(t, srv, logins[0].Token, "?limit=2&cursor="+*next)
			if len(page2) != 1 || last != nil || page2[0].ID != logins[0].Session.ID || !page2[0].Current {
				t.Fatalf("second page %+v, next %v", page2, last)
			}
			res := sessExpect(t, srv.Do(t, "GET", "/api/v1/auth/sessions?cursor=not-a-cursor", nil, logins[0].Token), http.StatusBadRequest)
			if res.Env.Error.Code != "sessions.invalid_cursor" {
				t.Fatalf("error %+v", res.Env.Error)
			}
		})
	}
}

func TestSessions_EveryRequestAndRefreshSlideTheIdleWindowButNeverPastTheAbsoluteLimit(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			clock := newSessClock(time.Now())
			srv := sessStart(t, backend, clock)
			email := sessSignup(t, srv)
			login := sessLoginAs(t, srv, email, "slider")
			idle := sessLoginAs(t, srv, email, "idle")
			created := clock.Now()

			// 40 s steps: each request moves the 60 s idle window.
			for i := 0; i < 3; i++ {
				clock.Advance(40 * time.Second)
				sessList(t, srv, login.Token, "")
			}
			sessRefused(t, srv, idle.Token) // idle for 120 s
			clock.Advance(50 * time.Second)
			var v sessView
			sessExpect(t, srv.Do(t, "POST", "/api/v1/auth/sessions/refresh", nil, login.Token), http.StatusOK).Decode(t, &v)
			if !v.ExpiresAt.Equal(clock.Now().Truncate(time.Microsecond).Add(60*time.Second)) || !v.Current {
				t.Fatalf("refresh: %+v at %s", v, clock.Now())
			}
			// Near the cap (300 s): the window stops at the absolute limit.
			clock.Advance(55 * time.Second) // 225 s
			sessList(t, srv, login.Token, "")
			clock.Advance(55 * time.Second) // 280 s
			sessExpect(t, srv.Do(t, "POST", "/api/v1/auth/sessions/refresh", nil, login.Token), http.StatusOK).Decode(t, &v)
			if !v.AbsoluteExpiresAt.Equal(created.Truncate(time.Microsecond).Add(300 * time.Second)) {
				t.Fatalf("absolute limit %s, want creation + 300 s", v.AbsoluteExpiresAt)
			}
			if !v.ExpiresAt.Equal(v.AbsoluteExpiresAt) {
				t.Fatalf("expiry %s, want the absolute limit %s", v.ExpiresAt, v.AbsoluteExpiresAt)
			}
			clock.Advance(19 * time.Second) // 299 s
			sessList(t, srv, login.Token, "")
			clock.Advance(2 * time.Second) // 301 s
			sessRefused(t, srv, login.Token)
			sessExpect(t, srv.Do(t, "POST", "/api/v1/auth/sessions/refresh", nil, login.Token), http.StatusUnauthorized)
		})
	}
}

func TestSessions_RevokeEndsOneOfTheCallersSessionsAtOnceAndAnswers404ForAnyOther(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := sessStart(t, backend, nil)
			email := sessSignup(t, srv)
			mine, other := sessLoginAs(t, srv, email, "a"), sessLoginAs(t, srv, email, "b")
			stranger := sessLoginAs(t, srv, sessSignup(t, srv), "c")
			sessList(t, srv, other.Token, "") // cached

			sessExpect(t, srv.Do(t, "DELETE", "/api/v1/auth/sessions/"+other.Session.ID, nil, mine.Token), http.StatusOK)
			sessRefused(t, srv, other.Token)
			items, _ := sessList(t, srv, mine.Token, "")
			if len(items) != 1 || items[0].ID != mine.Session.ID {
				t.Fatalf("after revoke: %+v", items)
			}
			for name, id := range map[string]string{
				"another user's":  stranger.Session.ID,
				"already revoked": other.Session.ID,
				"unknown":         "0193a0c4-6b1e-7c3a-9f00-1234567890ab",
				"malformed":       "not-a-session-id",
				"uuid in braces":  "%7B" + mine.Session.ID + "%7D",
			} {
				res := srv.Do(t, "DELETE", "/api/v1/auth/sessions/"+id, nil, mine.Token)
				if res.Status != http.StatusNotFound || res.Env.Error == nil || res.Env.Error.Type != "NOT_FOUND" {
					t.Errorf("%s session: %d %s", name, res.Status, res.Body)
				}
			}
			sessList(t, srv, stranger.Token, "")
			sessExpect(t, srv.Do(t, "DELETE", "/api/v1/auth/sessions/"+mine.Session.ID, nil, ""), http.StatusUnauthorized)
		})
	}
}

func TestSessions_LogoutRefusesTheTokenAtOnce(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := sessStart(t, backend, nil)
			email := sessSignup(t, srv)
			login, kept := sessLoginAs(t, srv, email, "a"), sessLoginAs(t, srv, email, "b")
			sessList(t, srv, login.Token, "")
			res := sessExpect(t, srv.Do(t, "POST", "/api/v1/auth/logout", nil, login.Token), http.StatusOK)
			if res.Env.Message != "logged out" {
				t.Fatalf("message %q", res.Env.Message)
			}
			sessRefused(t, srv, login.Token)
			sessExpect(t, srv.Do(t, "POST", "/api/v1/auth/logout", nil, login.Token), http.StatusUnauthorized)
			sessExpect(t, srv.Do(t, "POST", "/api/v1/auth/sessions/refresh", nil, login.Token), http.StatusUnauthorized)
			sessList(t, srv, kept.Token, "")
		})
	}
}

func TestSessions_ASecondInstanceSeesRevocationLogoutAndPasswordChangeAtOnce(t *testing.T) {
	one := sessStart(t, apitest.Production, nil)
	two := sessStart(t, apitest.Production, nil, apitest.ShareWith(one))
	email := sessSignup(t, one)
	a, b, c := sessLoginAs(t, one, email, "a"), sessLoginAs(t, two, email, "b"), sessLoginAs(t, one, email, "c")
	for _, srv := range []*apitest.Server{one, two} {
		for _, l := range []sessLogin{a, b, c} {
			sessList(t, srv, l.Token, "") // both instances have seen every token
		}
	}
	sessExpect(t, one.Do(t, "DELETE", "/api/v1/auth/sessions/"+b.Session.ID, nil, a.Token), http.StatusOK)
	sessRefused(t, two, b.Token)
	sessExpect(t, two.Do(t, "POST", "/api/v1/auth/logout", nil, c.Token), http.StatusOK)
	sessRefused(t, one, c.Token)

	d := sessLoginAs(t, two, email, "d")
	sessList(t, one, d.Token, "")
	var out struct {
		SessionsRevoked int `json:"sessions_revoked"`
	}
	sessExpect(t, two.Do(t, "POST", "/api/v1/users/me/password",
		map[string]any{"current_password": sessPassword, "new_password": "Another pass phrase 2"}, a.Token), http.StatusOK).Decode(t, &out)
	if out.SessionsRevoked != 1 {
		t.Fatalf("password change revoked %d sessions, want 1", out.SessionsRevoked)
	}
	sessRefused(t, one, d.Token)
	sessList(t, one, a.Token, "")
}

func TestSessions_CleanupMarksExpiredSessionsFromTheJobAndTheCommand(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			// Sessions are opened an hour in the past, so the real clock of
			// the command sees them expired too.
			clock := newSessClock(time.Now().Add(-time.Hour))
			srv := sessStart(t, backend, clock)
			email := sessSignup(t, srv)
			for i := 0; i < 3; i++ {
				sessLoginAs(t, srv, email, "old")
			}
			clock.Advance(2 * time.Minute) // past idle (60 s) and the sync grace (6 s)
			live := sessLoginAs(t, srv, email, "live")
			db := sessOpenDB(t, srv)
			if err := srv.App.RunJob(context.Background(), "cleanup_sessions", 0); err != nil {
				t.Fatal(err)
			}
			if n := sessCount(t, db, "expired"); n != 3 {
				t.Fatalf("%d sessions marked expired by the job, want 3", n)
			}
			if n := sessCount(t, db, "active"); n != 1 {
				t.Fatalf("%d active, want the live one", n)
			}
			sessList(t, srv, live.Token, "")
			if n := sessAuditCount(t, db, "sessions.expired"); n != 1 {
				t.Fatalf("%d sessions.expired audit records, want 1 for the one batch", n)
			}

			// The command, on the real clock an hour later, marks the live one.
			out := sessRunCLI(t, srv, "cleanup-sessions")
			if !strings.Contains(out, "marked 1 expired session(s)") {
				t.Fatalf("command output %q", out)
			}
			if n := sessCount(t, db, "expired"); n != 4 {
				t.Fatalf("%d expired after the command, want 4", n)
			}
		})
	}
}

func sessOpenDB(t *testing.T, srv *apitest.Server) *pgstore.DB {
	t.Helper()
	db, err := pgstore.Open(pgstore.Options{URL: srv.DatabaseURL, SQLitePath: srv.SQLitePath, MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func sessCount(t *testing.T, db *pgstore.DB, status string) int64 {
	t.Helper()
	var n int64
	if err := db.Gorm().Raw(`SELECT count(*) FROM sessions WHERE status = ?`, status).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func sessAuditCount(t *testing.T, db *pgstore.DB, action string) int64 {
	t.Helper()
	var n int64
	if err := db.Gorm().Raw(`SELECT count(*) FROM audit_logs WHERE action = ?`, action).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// sessRunCLI runs the authy command line against srv's database and Redis.
func sessRunCLI(t *testing.T, srv *apitest.Server, args ...string) string {
	t.Helper()
	env := map[string]string{
		"APP_ENV": "testing", "DATABASE_URL": srv.DatabaseURL, "SQLITE_PATH": srv.SQLitePath,
		"REDIS_URL": srv.RedisURL, "REDIS_KEY_PREFIX": srv.RedisPrefix, "LOG_LEVEL": "error",
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	root := bootstrap.NewRootCommand()
	var buf bytes.Buffer
	root.SetOut(&buf)
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		t.Fatalf("authy %v: %v\n%s", args, err, buf.String())
	}
	return buf.String()
}

// ownRedis is a throwaway redis-server this test starts, pauses, kills and
// restarts, so one instance can lose its cache while the shared Redis other
// tests use stays up.
type ownRedis struct {
	port int
	cmd  *exec.Cmd
}

func startOwnRedis(t *testing.T, port int) *ownRedis {
	t.Helper()
	if port == 0 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port = ln.Addr().(*net.TCPAddr).Port
		ln.Close()
	}
	cmd := exec.Command("redis-server", "--port", fmt.Sprint(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server (is it installed?): %v", err)
	}
	r := &ownRedis{port: port, cmd: cmd}
	t.Cleanup(r.kill)
	rdb := r.client(t)
	deadline := time.Now().Add(10 * time.Second)
	for rdb.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatal("redis-server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return r
}

func (r *ownRedis) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

func (r *ownRedis) client(t *testing.T) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", r.port), MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

func (r *ownRedis) signal(t *testing.T, s syscall.Signal) {
	t.Helper()
	if err := r.cmd.Process.Signal(s); err != nil {
		t.Fatal(err)
	}
}

func (r *ownRedis) kill() {
	if r.cmd.ProcessState == nil {
		_ = r.cmd.Process.Signal(syscall.SIGCONT)
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
	}
}

func sessCacheStatus(t *testing.T, srv *apitest.Server) string {
	t.Helper()
	var h struct {
		Checks map[string]struct {
			Status string `json:"status"`
		} `json:"checks"`
	}
	srv.Do(t, "GET", "/api/health", nil, "").Decode(t, &h)
	return h.Checks["cache"].Status
}

// sessEventually polls cond until it holds (or fails the test after 15 s).
func sessEventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Redis is paused (SIGSTOP: it keeps its data, so the revoked session's
// entry is still there when it comes back), then killed and restarted
// empty. The server keeps serving from the database, never lets the revoked
// session through, and goes back to the cache by itself.
func TestSessions_ARedisOutageSlowsServingButNeverLetsARevokedSessionThrough(t *testing.T) {
	own := startOwnRedis(t, 0)
	srv := sessStart(t, apitest.Production, nil, apitest.WithConfig(func(c *bootstrap.Config) {
		c.RedisURL, c.RedisKeyPrefix = own.url(), "authy:outage:"
	}))
	rdb := own.client(t)
	email := sessSignup(t, srv)
	kept, revoked := sessLoginAs(t, srv, email, "kept"), sessLoginAs(t, srv, email, "revoked")
	third := sessLoginAs(t, srv, email, "logged out during the second outage")
	for _, l := range []sessLogin{kept, revoked, third} {
		sessList(t, srv, l.Token, "")
	}
	keys, err := rdb.Keys(context.Background(), "authy:outage:sess:*").Result()
	if err != nil || len(keys) != 3 {
		t.Fatalf("set-up: %d cached sessions in the throwaway Redis (%v), want 3", len(keys), err)
	}

	own.signal(t, syscall.SIGSTOP)
	sessList(t, srv, kept.Token, "") // slower: from the database
	if s := sessCacheStatus(t, srv); s != "down" {
		t.Fatalf("health reports the cache %q while Redis is paused", s)
	}
	sessExpect(t, srv.Do(t, "DELETE", "/api/v1/auth/sessions/"+revoked.Session.ID, nil, kept.Token), http.StatusOK)
	sessRefused(t, srv, revoked.Token)
	sessList(t, srv, kept.Token, "")

	own.signal(t, syscall.SIGCONT)
	// Until the server has reconciled, the stale entry is still in Redis;
	// whatever the timing, the revoked token stays refused.
	sessEventually(t, "the tombstone of the revoked session", func() bool {
		sessRefused(t, srv, revoked.Token)
		sessList(t, srv, kept.Token, "")
		n, _ := rdb.Exists(context.Background(), "authy:outage:sess:rev:"+sessHashHex(revoked.Token)).Result()
		return n == 1
	})
	if v, _ := rdb.Get(context.Background(), "authy:outage:sess:"+sessHashHex(revoked.Token)).Result(); v != "r" {
		t.Fatalf("the revoked session's entry key holds %q after reconciliation, want the revoked mark", v)
	}
	sessRefused(t, srv, revoked.Token)

	// Killed and restarted empty: the server recovers by itself.
	own.kill()
	sessList(t, srv, kept.Token, "")
	logout := third
	sessExpect(t, srv.Do(t, "POST", "/api/v1/auth/logout", nil, logout.Token), http.StatusOK)
	sessRefused(t, srv, logout.Token)
	restarted := startOwnRedis(t, own.port)
	rdb2 := restarted.client(t)
	sessEventually(t, "the cache to be used again", func() bool {
		sessList(t, srv, kept.Token, "")
		n, _ := rdb2.Exists(context.Background(), "authy:outage:sess:"+sessHashHex(kept.Token)).Result()
		return n == 1 && sessCacheStatus(t, srv) == "up"
	})
	sessRefused(t, srv, logout.Token)
	sessRefused(t, srv, revoked.Token)
	if n, _ := rdb2.Exists(context.Background(), "authy:outage:sess:rev:"+sessHashHex(logout.Token)).Result(); n != 1 {
		t.Fatal("the logout during the outage was not applied to the restarted cache")
	}
}

func sessHashHex(token string) string {
	return security.SessionTokens{}.Hash(token).String()
}
