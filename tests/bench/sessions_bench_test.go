//go:build integration

package bench

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/bootstrap"
	"github.com/secuird/authy/tests/apitest"
	"github.com/secuird/authy/tests/testenv"
)

// sessBenchConcurrency is how many clients send requests at once.
const sessBenchConcurrency = 32

// BenchmarkAuthenticatedRequest measures authenticated
// `GET /api/v1/auth/me` requests per second through the whole server
// (middleware, bearer-token authentication from the session cache with its
// sliding window, the profile view from the profile cache) as a share of
// what a bare Fiber handler answering a constant JSON body serves over the
// same loopback HTTP, with the same client and concurrency, measured in the
// same run. It runs on PostgreSQL and Redis, and on the embedded backend
// (SQLite and in-process caches). Each reports p50 and p99 latency as the
// client sees them. b.N requests go to each.
//
//	go test -tags integration -run '^$' -bench BenchmarkAuthenticatedRequest -benchtime 20000x ./tests/bench
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

func sessBenchAuthenticated(b *testing.B, kind apitest.Backend) {
	srv := apitest.Start(b, kind, apitest.WithConfig(func(c *bootstrap.Config) {
		c.LogLevel = "warn"
		c.DBMaxOpenConns = 20
	}))
	token := sessBenchLogin(b, srv)
	bare := sessBenchBare(b)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: sessBenchConcurrency * 2, MaxConnsPerHost: sessBenchConcurrency * 2}}
	defer client.CloseIdleConnections()

	me := srv.URL + "/api/v1/auth/me"
	warm := min(b.N, 500)
	sessBenchRun(b, client, bare, "", warm)
	sessBenchRun(b, client, me, token, warm)

	b.ResetTimer()
	bareRate, bareLat := sessBenchRun(b, client, bare, "", b.N)
	meRate, meLat := sessBenchRun(b, client, me, token, b.N)
	b.StopTimer()

	b.ReportMetric(meRate, "me-req/s")
	b.ReportMetric(bareRate, "bare-req/s")
	b.ReportMetric(meRate/bareRate, "me/bare")
	b.ReportMetric(sessBenchMicros(sessBenchPercentile(meLat, 0.50)), "me-p50-µs")
	b.ReportMetric(sessBenchMicros(sessBenchPercentile(meLat, 0.99)), "me-p99-µs")
	b.ReportMetric(sessBenchMicros(sessBenchPercentile(bareLat, 0.50)), "bare-p50-µs")
	b.ReportMetric(sessBenchMicros(sessBenchPercentile(bareLat, 0.99)), "bare-p99-µs")
}

func sessBenchLogin(b *testing.B, srv *apitest.Server) string {
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

// sessBenchBare serves one constant JSON envelope from a bare Fiber app on
// a loopback listener and returns its URL.
func sessBenchBare(b *testing.B) string {
	b.Helper()
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	body := []byte(`{"version":"1.0","success":true,"code":200,"message":"ok","request_id":"0b5e6f7c-1111-4222-8333-944445555666","data":{"id":"0193a0c4-6b1e-7c3a-9f00-1234567890ab","email":"bench@example.test","name":"Bench"}}`)
	app.Get("/bare", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(body)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	b.Cleanup(func() { _ = app.Shutdown() })
	return "http://" + ln.Addr().String() + "/bare"
}

// sessBenchRun sends n GET requests to url from sessBenchConcurrency
// clients and returns requests per second and each request's latency.
func sessBenchRun(b *testing.B, client *http.Client, url, token string, n int) (float64, []time.Duration) {
	b.Helper()
	lat := make([]time.Duration, n)
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		errOnce sync.Once
		failure error
	)
	start := time.Now()
	for range sessBenchConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				t := time.Now()
				err := sessBenchGet(client, url, token)
				lat[i] = time.Since(t)
				if err != nil {
					errOnce.Do(func() { failure = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if failure != nil {
		b.Fatal(failure)
	}
	return float64(n) / elapsed.Seconds(), lat
}

func sessBenchGet(client *http.Client, url, token string) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return errors.New(fmt.Sprint("GET ", url, ": status ", res.StatusCode))
	}
	return nil
}

func sessBenchPercentile(d []time.Duration, q float64) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(q*float64(len(s)-1))]
}

func sessBenchMicros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
