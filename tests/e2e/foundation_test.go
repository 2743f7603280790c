//go:build integration

package e2e

import (
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/secuird/authy/bootstrap"
	"github.com/secuird/authy/tests/apitest"
	"github.com/secuird/authy/tests/testenv"
)

type bootstrapConfig = bootstrap.Config

func readEnvelope(t *testing.T, res *http.Response) apitest.Envelope {
	t.Helper()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	var env apitest.Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatalf("not an envelope: %v\n%s", err, raw)
	}
	if env.Code != res.StatusCode || env.Version != "1.0" {
		t.Fatalf("envelope code %d / version %q for status %d", env.Code, env.Version, res.StatusCode)
	}
	return env
}

// dropDatabase removes a test database from under a running server, as an
// outage would.
func dropDatabase(t *testing.T, dbURL string) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	admin, err := sql.Open("pgx", testenv.PostgresBaseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`DROP DATABASE "` + name + `" WITH (FORCE)`); err != nil {
		t.Fatal(err)
	}
}

func TestHealth_ReportsDatabaseAndCacheOnEachBackend(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend)
			res := srv.Do(t, "GET", "/api/health", nil, "")
			if res.Status != 200 || !res.Env.Success {
				t.Fatalf("health = %d %s", res.Status, res.Body)
			}
			var data struct {
				Status string `json:"status"`
				Checks map[string]struct {
					Status  string `json:"status"`
					Backend string `json:"backend"`
				} `json:"checks"`
			}
			res.Decode(t, &data)
			wantDB, wantCache := "sqlite", "in-process"
			if backend == apitest.Production {
				wantDB, wantCache = "postgres", "redis"
			}
			if data.Checks["database"].Backend != wantDB || data.Checks["database"].Status != "up" {
				t.Errorf("database check = %+v", data.Checks["database"])
			}
			if data.Checks["cache"].Backend != wantCache || data.Checks["cache"].Status != "up" {
				t.Errorf("cache check = %+v", data.Checks["cache"])
			}
			ready := srv.Do(t, "GET", "/api/health/ready", nil, "")
			if ready.Status != 200 {
				t.Fatalf("ready = %d", ready.Status)
			}
		})
	}
}

func TestReady_AnswersServiceUnavailableWhileTheDatabaseIsGone(t *testing.T) {
	srv := apitest.Start(t, apitest.Production)
	if res := srv.Do(t, "GET", "/api/health/ready", nil, ""); res.Status != 200 {
		t.Fatalf("ready before = %d", res.Status)
	}
	dropDatabase(t, srv.DatabaseURL)
	res := srv.Do(t, "GET", "/api/health/ready", nil, "")
	if res.Status != http.StatusServiceUnavailable || res.Env.Error == nil || res.Env.Error.Type != "SERVICE_UNAVAILABLE" {
		t.Fatalf("ready without a database = %d %s", res.Status, res.Body)
	}
	live := srv.Do(t, "GET", "/api/health", nil, "")
	if live.Status != 200 || !strings.Contains(string(live.Body), `"degraded"`) {
		t.Fatalf("liveness must stay 200 and say degraded: %d %s", live.Status, live.Body)
	}
}

func TestEdge_UnknownRoutesAndWrongMethodsAnswerInTheEnvelope(t *testing.T) {
	srv := apitest.Start(t, apitest.Embedded)
	res := srv.Do(t, "GET", "/api/v1/does-not-exist", nil, "")
	if res.Status != 404 || res.Env.Error == nil || res.Env.Error.Type != "NOT_FOUND" || res.Env.Success {
		t.Fatalf("unknown route = %d %s", res.Status, res.Body)
	}
	res = srv.Do(t, "DELETE", "/api/health", nil, "")
	if res.Status != 405 || res.Env.Error == nil || res.Env.Error.Type != "METHOD_NOT_ALLOWED" {
		t.Fatalf("wrong method = %d %s", res.Status, res.Body)
	}
}

func TestEdge_BodiesOverTheLimitAre413InTheEnvelope(t *testing.T) {
	srv := apitest.Start(t, apitest.Embedded, apitest.WithConfig(func(c *bootstrapConfig) { c.BodyLimitBytes = 1024 }))
	req, _ := http.NewRequest("POST", "/api/health", strings.NewReader(`{"x":"`+strings.Repeat("a", 4096)+`"}`))
	req.Header.Set("Content-Type", "application/json")
	res := srv.Raw(t, req)
	env := readEnvelope(t, res)
	if res.StatusCode != 413 || env.Error == nil || env.Error.Type != "PAYLOAD_TOO_LARGE" || env.RequestID == "" {
		t.Fatalf("oversized body = %d %+v", res.StatusCode, env)
	}
}

// TestEdge_RequestIDIsTheServersOwnAndTheClientsIsKeptForCorrelation: the
// request id is always generated (two requests never share one); a
// well-formed X-Request-ID the client sends comes back as X-Correlation-ID
// and is logged beside it, anything else is dropped.
func TestEdge_RequestIDIsTheServersOwnAndTheClientsIsKeptForCorrelation(t *testing.T) {
	srv := apitest.Start(t, apitest.Embedded)
	const good = "0b5e6f7c-1111-4222-8333-944445555666"
	res := srv.DoWithHeaders(t, "GET", "/api/health", nil, "", map[string]string{"X-Request-ID": good})
	if res.Env.RequestID == good || len(res.Env.RequestID) != 36 || res.Header.Get("X-Request-ID") != res.Env.RequestID {
		t.Fatalf("the request id must be the server's own: %q", res.Env.RequestID)
	}
	if res.Header.Get("X-Correlation-ID") != good {
		t.Fatalf("a well-formed client id must come back as X-Correlation-ID: %q", res.Header.Get("X-Correlation-ID"))
	}
	if !strings.Contains(srv.Logs(), good) || !strings.Contains(srv.Logs(), res.Env.RequestID) {
		t.Fatal("the request id and the client's id must appear in the request's log line")
	}
	for _, bad := range []string{"x\" injected", strings.Repeat("a", 65), "two words"} {
		res = srv.DoWithHeaders(t, "GET", "/api/health", nil, "", map[string]string{"X-Request-ID": bad})
		if res.Env.RequestID == bad || len(res.Env.RequestID) != 36 || res.Header.Get("X-Correlation-ID") != "" {
			t.Fatalf("a malformed id %q must be dropped, got %q and X-Correlation-ID %q", bad, res.Env.RequestID, res.Header.Get("X-Correlation-ID"))
		}
	}
}

func TestEdge_SecurityHeadersAndHSTSOnlyInProduction(t *testing.T) {
	srv := apitest.Start(t, apitest.Embedded)
	res := srv.Do(t, "GET", "/api/health", nil, "")
	if res.Header.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.Contains(res.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
		res.Header.Get("Referrer-Policy") == "" {
		t.Fatalf("missing security headers: %v", res.Header)
	}
	if res.Header.Get("Strict-Transport-Security") != "" {
		t.Fatal("HSTS must not be sent outside production")
	}
	prod := apitest.Start(t, apitest.Embedded, apitest.WithConfig(func(c *bootstrapConfig) {
		c.AppEnv = "production"
		c.SecretKey = strings.Repeat("s", 32)
		c.EncryptionKey = strings.Repeat("e", 32)
	}))
	res = prod.Do(t, "GET", "/api/health", nil, "")
	if !strings.Contains(res.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Fatalf("HSTS missing in production: %v", res.Header)
	}
}

func TestEdge_CORSAllowsOnlyConfiguredOrigins(t *testing.T) {
	srv := apitest.Start(t, apitest.Embedded, apitest.WithConfig(func(c *bootstrapConfig) {
		c.CORSOrigins = []string{"https://app.example.com"}
	}))
	allowed := srv.DoWithHeaders(t, "GET", "/api/health", nil, "", map[string]string{"Origin": "https://app.example.com"})
	if allowed.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Fatalf("configured origin not allowed: %v", allowed.Header)
	}
	other := srv.DoWithHeaders(t, "GET", "/api/health", nil, "", map[string]string{"Origin": "https://evil.example.net"})
	if got := other.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Fatalf("foreign origin allowed: %q", got)
	}
}
