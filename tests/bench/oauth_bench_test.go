//go:build integration

package bench

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goccy/go-json"
	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/bootstrap"
	"github.com/secuird/authy/tests/apitest"
)

// oauthBenchConcurrency is how many clients send requests at once.
const oauthBenchConcurrency = 32

// BenchmarkOAuthEndpoints measures, through the whole server over loopback
// HTTP, client_credentials token requests per second (HTTP Basic
// authentication of a server-generated secret, an opaque token stored in
// the database) and introspections per second (the caller authenticated,
// the token read back and checked), each as a share of a bare Fiber
// handler that answers a POSTed form with a constant JSON body, with the
// same client and concurrency, in the same run. It runs on PostgreSQL and
// Redis, and on the embedded backend (SQLite). b.N requests go to each.
//
//	go test -tags integration -run '^$' -bench BenchmarkOAuthEndpoints -benchtime 20000x ./tests/bench
func BenchmarkOAuthEndpoints(b *testing.B) {
	for _, backend := range []struct {
		name string
		kind apitest.Backend
	}{
		{"postgres_redis", apitest.Production},
		{"sqlite_inprocess", apitest.Embedded},
	} {
		b.Run(backend.name, func(b *testing.B) { oauthBench(b, backend.kind) })
	}
}

func oauthBench(b *testing.B, kind apitest.Backend) {
	srv := apitest.Start(b, kind, apitest.WithConfig(func(c *bootstrap.Config) {
		c.LogLevel = "warn"
		c.DBMaxOpenConns = 20
	}))
	id, secret := oauthBenchClient(b, srv)
	bare := oauthBenchBare(b)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: oauthBenchConcurrency * 2, MaxConnsPerHost: oauthBenchConcurrency * 2}}
	defer client.CloseIdleConnections()

	tokenURL, introspectURL := srv.URL+"/oauth2/token", srv.URL+"/oauth2/introspect"
	ccForm := "grant_type=client_credentials&scope=bench"
	token := oauthBenchToken(b, client, tokenURL, id, secret)
	inForm := url.Values{"token": {token}}.Encode()

	warm := min(b.N, 500)
	oauthBenchRun(b, client, bare, "", "", ccForm, "", warm)
	oauthBenchRun(b, client, tokenURL, id, secret, ccForm, "access_token", warm)
	oauthBenchRun(b, client, introspectURL, id, secret, inForm, `"active":true`, warm)

	b.ResetTimer()
	bareRate, bareLat := oauthBenchRun(b, client, bare, "", "", ccForm, "", b.N)
	tokRate, tokLat := oauthBenchRun(b, client, tokenURL, id, secret, ccForm, "access_token", b.N)
	inRate, inLat := oauthBenchRun(b, client, introspectURL, id, secret, inForm, `"active":true`, b.N)
	b.StopTimer()

	b.ReportMetric(tokRate, "tokens/s")
	b.ReportMetric(inRate, "introspections/s")
	b.ReportMetric(bareRate, "bare-req/s")
	b.ReportMetric(tokRate/bareRate, "token/bare")
	b.ReportMetric(inRate/bareRate, "introspect/bare")
	b.ReportMetric(sessBenchMicros(sessBenchPercentile(tokLat, 0.50)), "token-p50-µs")
	b.ReportMetric(sessBenchMicros(sessBenchPercentile(tokLat, 0.99)), "token-p99-µs")
	b.ReportMetric(sessBenchMicros(sessBenchPercentile(inLat, 0.50)), "introspect-p50-µs")
	b.ReportMetric(sessBenchMicros(sessBenchPercentile(inLat, 0.99)), "introspect-p99-µs")
	b.ReportMetric(sessBenchMicros(sessBenchPercentile(bareLat, 0.50)), "bare-p50-µs")
}

// oauthBenchClient registers an owner, an organization and a confidential
// machine client, and returns its id and secret.
func oauthBenchClient(b *testing.B, srv *apitest.Server) (string, string) {
	b.Helper()
	token := sessBenchLogin(b, srv)
	res := srv.Do(b, "POST", "/api/v1/organizations", map[string]any{"name": "Bench Org"}, token)
	if res.Status != http.StatusCreated {
		b.Fatalf("create organization: %d %s", res.Status, res.Body)
	}
	var org struct {
		ID string `json:"id"`
	}
	res.Decode(b, &org)
	res = srv.Do(b, "POST", "/api/v1/organizations/"+org.ID+"/oauth-clients", map[string]any{
		"name": "bench worker", "grant_types": []string{"client_credentials"}, "scopes": []string{"bench"},
	}, token)
	if res.Status != http.StatusCreated {
		b.Fatalf("create client: %d %s", res.Status, res.Body)
	}
	var c struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	res.Decode(b, &c)
	return c.ClientID, c.ClientSecret
}

func oauthBenchToken(b *testing.B, client *http.Client, tokenURL, id, secret string) string {
	b.Helper()
	body, err := oauthBenchPost(client, tokenURL, id, secret, "grant_type=client_credentials&scope=bench", "access_token")
	if err != nil {
		b.Fatal(err)
	}
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.AccessToken == "" {
		b.Fatalf("token response %s", body)
	}
	return out.AccessToken
}

// oauthBenchBare answers any POSTed form with a constant token response,
// from a bare Fiber app on a loopback listener.
func oauthBenchBare(b *testing.B) string {
	b.Helper()
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	body := []byte(`{"access_token":"authy_at_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB","expires_in":3599,"scope":"bench","token_type":"bearer"}`)
	app.Post("/bare", func(c *fiber.Ctx) error {
		_ = c.FormValue("grant_type")
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		c.Set(fiber.HeaderCacheControl, "no-store")
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

// oauthBenchRun posts form n times to target from oauthBenchConcurrency
// clients (with Basic credentials when id is set), checks that each answer
// is 200 and contains want, and returns requests per second and latencies.
func oauthBenchRun(b *testing.B, client *http.Client, target, id, secret, form, want string, n int) (float64, []time.Duration) {
	b.Helper()
	lat := make([]time.Duration, n)
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		errOnce sync.Once
		failure error
	)
	start := time.Now()
	for range oauthBenchConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				t := time.Now()
				_, err := oauthBenchPost(client, target, id, secret, form, want)
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

func oauthBenchPost(client *http.Client, target, id, secret, form, want string) ([]byte, error) {
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(form))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(id, secret)
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
		return nil, errors.New(fmt.Sprint("POST ", target, ": status ", res.StatusCode, ": ", string(body)))
	}
	return body, nil
}
