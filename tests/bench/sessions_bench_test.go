//go:build integration

package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/redis/go-redis/v9"
	"github.com/valyala/fasthttp"

	"github.com/secuird/authy/adapters/redisstore/platformredis"
	"github.com/secuird/authy/bootstrap"
	"github.com/secuird/authy/tests/apitest"
	"github.com/secuird/authy/tests/testenv"
)

// sessBenchConnections is how many keep-alive connections send requests at
// once, each waiting for its answer before sending the next request.
const sessBenchConnections = 64

// sessBenchRounds interleaves the targets: each gets b.N/rounds requests per
// round, so a machine whose load changes during the run shifts every target
// alike instead of whichever ran last.
const sessBenchRounds = 10

// BenchmarkAuthenticatedRequest measures authenticated
// `GET /api/v1/auth/me` requests per second through the whole server
// (middleware, bearer-token authentication from the session cache with its
// sliding window, the profile view) against baselines served in the same
// process and measured in the same run, over loopback HTTP with the same
// client and 64 connections:
//
//   - get: a Fiber handler (default configuration) that answers the body
//     of one Redis GET on the same Redis, with a client sized as the
//     server's (REDIS_POOL_SIZE): the cost of one round trip per request;
//   - bare: a Fiber handler answering a constant JSON body;
//   - bare-immutable: the same with Fiber's Immutable setting, which the
//     server runs with (immutable/bare is its cost).
//
// It runs on PostgreSQL and Redis, and on the embedded backend (SQLite and
// in-process caches; its get baseline still uses Redis). The client is a
// minimal HTTP/1.1 keep-alive loop over raw connections, so its own work
// dilutes the ratios as little as possible. Each target reports p50 and
// p99 latency as the client sees them, and the process's CPU time per
// request (client included, Redis's own excluded), which a busy machine
// disturbs less than throughput. b.N requests go to each.
//
//	go test -tags integration -run '^$' -bench BenchmarkAuthenticatedRequest -benchtime 50000x ./tests/bench
func BenchmarkAuthenticatedRequest(b *testing.B) {
	for _, backend := range []struct {
		name string
		kind apitest.Backend
	}{
		{"postgres_redis", apitest.Production},
		{"sqlite_inprocess", apitest.Embedded},
	} {
		b.Run(backend.name, func(b *testing.B) { sessBenchAuthenticated(b, backend.kind) })
	}
}

// sessBenchBody is what the baselines answer: an envelope the size of
// /auth/me's.
var sessBenchBody = []byte(`{"version":"1.0","success":true,"code":200,"message":"ok","request_id":"0b5e6f7c-1111-4222-8333-944445555666",` +
	`"data":{"id":"0193a0c4-6b1e-7c3a-9f00-1234567890ab","email":"bench@example.test","email_verified":false,"email_verified_at":null,` +
	`"name":"Bench","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}}`)

type sessBenchTarget struct {
	name  string
	addr  string
	req   []byte
	rate  float64
	lat   []time.Duration
	count int
	spent time.Duration
	// cpu is the process's CPU time (user and system) while the target
	// ran: server and client share the process, so it holds the client's
	// work too, the same for every target, but not Redis's own.
	cpu time.Duration
}

// sessBenchCPU returns the CPU time the process has used.
func sessBenchCPU(b testing.TB) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func sessBenchAuthenticated(b *testing.B, kind apitest.Backend) {
	// The server logs what LOG_LEVEL=warn logs (no line per request), as a
	// busy production instance would; apitest's own logger keeps every
	// line in memory.
	warn := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv := apitest.Start(b, kind, apitest.WithConfig(func(c *bootstrap.Config) {
		c.LogLevel = "warn"
		c.DBMaxOpenConns = 20
	}), apitest.WithBootstrap(bootstrap.WithLogger(warn)))
	token := sessBenchLogin(b, srv)
	targets := []*sessBenchTarget{
		{name: "me", addr: sessBenchHost(b, srv.URL), req: sessBenchRequest("/api/v1/auth/me", token)},
		{name: "get", addr: sessBenchOneGet(b), req: sessBenchRequest("/get", "")},
		{name: "bare", addr: sessBenchBare(b, false), req: sessBenchRequest("/bare", "")},
		{name: "bare-immutable", addr: sessBenchBare(b, true), req: sessBenchRequest("/bare", "")},
	}
	for _, t := range targets {
		sessBenchRun(b, t, min(b.N, 2000)) // warm connections, pools and caches
		t.lat, t.count, t.spent, t.cpu = nil, 0, 0, 0
	}
	b.ResetTimer()
	per := max(b.N/sessBenchRounds, 1)
	for range sessBenchRounds {
		for _, t := range targets {
			sessBenchRun(b, t, per)
		}
	}
	b.StopTimer()
	for _, t := range targets {
		t.rate = float64(t.count) / t.spent.Seconds()
	}
	me, get, bare, imm := targets[0], targets[1], targets[2], targets[3]
	b.ReportMetric(me.rate, "me-req/s")
	b.ReportMetric(get.rate, "get-req/s")
	b.ReportMetric(bare.rate, "bare-req/s")
	b.ReportMetric(imm.rate, "bare-immutable-req/s")
	b.ReportMetric(me.rate/get.rate, "me/get")
	b.ReportMetric(me.rate/bare.rate, "me/bare")
	b.ReportMetric(imm.rate/bare.rate, "immutable/bare")
	// CPU per request, which a busy machine disturbs less than throughput;
	// get-cpu/me-cpu is what me/get would be if the process had the cores
	// to itself.
	for _, t := range targets {
		b.ReportMetric(sessBenchMicros(t.cpu/time.Duration(t.count)), t.name+"-cpu-µs/req")
	}
	b.ReportMetric(float64(get.cpu)/float64(get.count)/(float64(me.cpu)/float64(me.count)), "get-cpu/me-cpu")
	for _, t := range []*sessBenchTarget{me, get, bare} {
		b.ReportMetric(sessBenchMicros(sessBenchPercentile(t.lat, 0.50)), t.name+"-p50-µs")
		b.ReportMetric(sessBenchMicros(sessBenchPercentile(t.lat, 0.99)), t.name+"-p99-µs")
	}
}

func sessBenchLogin(b testing.TB, srv *apitest.Server) string {
	b.Helper()
	email := "bench-" + testenv.Unique() + "@example.test"
	const password = "Bench pass phrase 1"
	if res := srv.Do(b, "POST", "/api/v1/auth/register", map[string]any{"email": email, "password": password, "name": "Bench"}, ""); res.Status != http.StatusCreated {
		b.Fatalf("register: %d %s", res.Status, res.Body)
	}
	res := srv.Do(b, "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}, "")
	if res.Status != http.StatusOK {
		b.Fatalf("login: %d %s", res.Status, res.Body)
	}
	var out struct {
		Token string `json:"token"`
	}
	res.Decode(b, &out)
	return out.Token
}

func sessBenchHost(b testing.TB, base string) string {
	b.Helper()
	host, ok := bytes.CutPrefix([]byte(base), []byte("http://"))
	if !ok {
		b.Fatalf("not an http URL: %s", base)
	}
	return string(host)
}

func sessBenchRequest(path, token string) []byte {
	req := "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: authy-bench\r\nAccept: application/json\r\n"
	if token != "" {
		req += "Authorization: Bearer " + token + "\r\n"
	}
	return []byte(req + "\r\n")
}

// sessBenchServe serves app on a loopback listener and returns its address.
func sessBenchServe(b testing.TB, app *fiber.App) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	b.Cleanup(func() { _ = app.Shutdown() })
	return ln.Addr().String()
}

// sessBenchBare serves a constant JSON envelope from a bare Fiber app.
func sessBenchBare(b testing.TB, immutable bool) string {
	b.Helper()
	app := fiber.New(fiber.Config{DisableStartupMessage: true, Immutable: immutable})
	app.Get("/bare", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(sessBenchBody)
	})
	return sessBenchServe(b, app)
}

// sessBenchOneGet serves, from a Fiber app with the default configuration,
// the body of one Redis GET per request.
func sessBenchOneGet(b testing.TB) string {
	b.Helper()
	rdb, err := platformredis.Open(platformredis.Options{URL: testenv.RedisURL(b), PoolSize: bootstrap.DefaultConfig().RedisPoolSize})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = rdb.Close() })
	key := testenv.RedisPrefix(b) + "bench:get"
	if err := rdb.Set(context.Background(), key, sessBenchBody, time.Hour).Err(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = rdb.Del(context.Background(), key).Err() })
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/get", func(c *fiber.Ctx) error {
		v, err := rdb.Get(c.UserContext(), key).Bytes()
		if errors.Is(err, redis.Nil) {
			return fiber.ErrNotFound
		}
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(v)
	})
	return sessBenchServe(b, app)
}

// sessBenchRun sends n requests to t from sessBenchConnections connections
// and adds their count, latencies and the wall time to t.
func sessBenchRun(b testing.TB, t *sessBenchTarget, n int) {
	b.Helper()
	lat := make([]time.Duration, n)
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		errOnce sync.Once
		failure error
	)
	conns := make([]net.Conn, sessBenchConnections)
	for i := range conns {
		c, err := net.Dial("tcp", t.addr)
		if err != nil {
			b.Fatal(err)
		}
		conns[i] = c
	}
	cpu := sessBenchCPU(b)
	start := time.Now()
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			r := bufio.NewReaderSize(c, 16<<10)
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				at := time.Now()
				err := sessBenchExchange(c, r, t.req)
				lat[i] = time.Since(at)
				if err != nil {
					errOnce.Do(func() { failure = fmt.Errorf("%s: %w", t.name, err) })
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	t.cpu += sessBenchCPU(b) - cpu
	if failure != nil {
		b.Fatal(failure)
	}
	t.lat = append(t.lat, lat...)
	t.count += n
	t.spent += elapsed
}

// sessBenchExchange writes one request and reads its answer, which must be
// a 200 with a Content-Length.
func sessBenchExchange(c net.Conn, r *bufio.Reader, req []byte) error {
	if _, err := c.Write(req); err != nil {
		return err
	}
	status, err := r.ReadSlice('\n')
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(status, []byte("HTTP/1.1 200 ")) {
		return fmt.Errorf("status line %q", bytes.TrimSpace(status))
	}
	length := -1
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		if name, value, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(name, []byte("Content-Length")) {
			if length, err = strconv.Atoi(string(bytes.TrimSpace(value))); err != nil {
				return err
			}
		}
	}
	if length < 0 {
		return errors.New("answer without Content-Length")
	}
	_, err = r.Discard(length)
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func sessBenchPercentile(d []time.Duration, q float64) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(q*float64(len(s)-1))]
}

func sessBenchMicros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// BenchmarkHandlerCPU measures what serving one request costs the server's
// own code, without the network (the fasthttp handler called in process on
// a reused request): a bare Fiber handler answering a constant JSON body,
// the same with Fiber's Immutable setting (the server's), and an
// authenticated `GET /api/v1/auth/me` through the whole server on the
// embedded backend (every middleware, the session and the profile view from
// the in-process caches). ns/op and allocs/op are the figures.
//
//	go test -tags integration -run '^$' -bench BenchmarkHandlerCPU ./tests/bench
func BenchmarkHandlerCPU(b *testing.B) {
	for _, immutable := range []bool{false, true} {
		name := "bare"
		if immutable {
			name = "bare-immutable"
		}
		b.Run(name, func(b *testing.B) {
			app := fiber.New(fiber.Config{DisableStartupMessage: true, Immutable: immutable})
			app.Get("/bare", func(c *fiber.Ctx) error {
				c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
				return c.Send(sessBenchBody)
			})
			sessBenchInProcess(b, app, "/bare", "")
		})
	}
	b.Run("me-embedded", func(b *testing.B) {
		warn := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
		srv := apitest.Start(b, apitest.Embedded, apitest.WithConfig(func(c *bootstrap.Config) { c.LogLevel = "warn" }),
			apitest.WithBootstrap(bootstrap.WithLogger(warn)))
		sessBenchInProcess(b, srv.App.Handler(), "/api/v1/auth/me", sessBenchLogin(b, srv))
	})
}

// sessBenchInProcess calls app's handler b.N times with one GET of path.
func sessBenchInProcess(b *testing.B, app *fiber.App, path, token string) {
	b.Helper()
	h := app.Handler()
	var req fasthttp.Request
	req.Header.SetMethod(fiber.MethodGet)
	req.SetRequestURI(path)
	req.Header.Set(fiber.HeaderUserAgent, "authy-bench")
	if token != "" {
		req.Header.Set(fiber.HeaderAuthorization, "Bearer "+token)
	}
	var ctx fasthttp.RequestCtx
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		ctx.Response.Reset()
		ctx.ResetUserValues() // as the server does between requests
		h(&ctx)
		if ctx.Response.StatusCode() != fiber.StatusOK {
			b.Fatalf("GET %s: %d %s", path, ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
}
