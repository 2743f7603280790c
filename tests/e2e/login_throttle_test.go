//go:build integration

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/secuird/authy/adapters/pgstore/auditpg"
	"github.com/secuird/authy/bootstrap"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/platformport/platformporttest"
	"github.com/secuird/authy/tests/apitest"
)

// behindProxy starts a server that believes X-Forwarded-For from loopback,
// so one test can speak as many clients.
func behindProxy(t *testing.T, backend apitest.Backend, opts ...apitest.Option) *apitest.Server {
	t.Helper()
	return apitest.Start(t, backend, append([]apitest.Option{apitest.WithConfig(func(c *bootstrap.Config) {
		c.TrustedProxies = []string{"127.0.0.1/32", "::1/128"}
	})}, opts...)...)
}

func loginAs(t *testing.T, srv *apitest.Server, client, email, password string) *apitest.Response {
	t.Helper()
	return srv.DoWithHeaders(t, "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}, "",
		map[string]string{"X-Forwarded-For": client})
}

func wantLoginRefused(t *testing.T, res *apitest.Response, who string) {
	t.Helper()
	if res.Status != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" || res.Env.Error == nil || res.Env.Error.Code != "identity.login_rate_limited" {
		t.Fatalf("%s: want 429 identity.login_rate_limited with Retry-After, got %d %s", who, res.Status, res.Body)
	}
}

func TestLogin_TheOwnerSignsInFromTheirUsualClientWhileABotnetFailsOnEveryInstance(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := behindProxy(t, backend) // the default limits
			email := idEmail("owner")
			idRegister(t, srv, email, idPassword)
			const home = "192.0.2.20"
			idStatus(t, loginAs(t, srv, home, email, idPassword), http.StatusOK)

			failed, refused := 0, 0
			for i := 0; i < 50; i++ {
				client := fmt.Sprintf("198.51.100.%d", i+1)
				if i%2 == 1 {
					client = fmt.Sprintf("2001:db8:%x::7", i)
				}
				switch res := loginAs(t, srv, client, email, fmt.Sprintf("guess number %d", i)); res.Status {
				case http.StatusUnauthorized:
					failed++
				case http.StatusTooManyRequests:
					refused++
				default:
					t.Fatalf("attempt %d: %d %s", i, res.Status, res.Body)
				}
			}
			if failed != 20 || refused != 30 {
				t.Fatalf("401s=%d 429s=%d: want the account-wide budget (20) spent, then unknown clients refused", failed, refused)
			}
			servers := []*apitest.Server{srv}
			if backend == apitest.Production {
				servers = append(servers, behindProxy(t, backend, apitest.ShareWith(srv)))
			}
			for i, s := range servers {
				idStatus(t, loginAs(t, s, home, email, idPassword), http.StatusOK)
				wantLoginRefused(t, loginAs(t, s, fmt.Sprintf("203.0.113.%d", i+1), email, idPassword), "a client the account never used")
				wantLoginRefused(t, loginAs(t, s, "198.51.100.1", email, idPassword), "an attacker's client")
			}
		})
	}
}

func TestLogin_OneIPv6Slash64IsOneClientWhateverTheAddressOrZone(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := behindProxy(t, backend, apitest.WithConfig(func(c *bootstrap.Config) { c.LoginRateLimitPerIP = 10 }))
			email := idEmail("v6")
			idRegister(t, srv, email, idPassword)
			for i := 0; i < 10; i++ {
				client := fmt.Sprintf("2001:db8:42:7:%x::%x", i, i+1)
				if i%3 == 0 {
					client = fmt.Sprintf("2001:db8:42:7::%x%%eth%d", i+1, i)
				}
				idStatus(t, loginAs(t, srv, client, email, idPassword), http.StatusOK)
			}
			wantLoginRefused(t, loginAs(t, srv, "2001:db8:42:7:ffff:ffff:ffff:ffff", email, idPassword), "the 11th login from one /64")
			idStatus(t, loginAs(t, srv, "2001:db8:42:8::1", email, idPassword), http.StatusOK)
		})
	}
}

func TestUpdateProfile_EmailChangeRequestsAre429WithRetryAfter(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend)
			victim := idEmail("victim")
			idRegister(t, srv, victim, idPassword)
			prober := idEmail("prober")
			idRegister(t, srv, prober, idPassword)
			l := idLoginAs(t, srv, prober, idPassword)
			change := map[string]any{"email": victim, "current_password": idPassword}
			for i := 0; i < 5; i++ {
				// Each one mails two people, whether or not the address has
				// an account.
				idStatus(t, srv.Do(t, "PATCH", "/api/v1/users/me", change, l.Token), http.StatusAccepted)
			}
			res := idStatus(t, srv.Do(t, "PATCH", "/api/v1/users/me", change, l.Token), http.StatusTooManyRequests)
			if res.Header.Get("Retry-After") == "" || res.Env.Error.Code != "identity.email_change_rate_limited" {
				t.Fatalf("unexpected 429: %v %s", res.Header, res.Body)
			}
			idStatus(t, srv.Do(t, "PATCH", "/api/v1/users/me", map[string]any{"name": "Still Renames"}, l.Token), http.StatusOK)
		})
	}
}

func TestLogin_RefusedAttemptsAreAuditedAsOneRecordPerClientAndMinuteWithTheCount(t *testing.T) {
	clock := platformporttest.NewClock(time.Now().UTC().Truncate(time.Minute))
	srv := apitest.Start(t, apitest.Embedded, apitest.WithClock(clock),
		apitest.WithConfig(func(c *bootstrap.Config) { c.LoginRateLimitPerIP = 2 }))
	email := idEmail("flood")
	idRegister(t, srv, email, idPassword)
	for i := 0; i < 2; i++ {
		idStatus(t, srv.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": "Wrong guess 1"}, ""), http.StatusUnauthorized)
	}
	for i := 0; i < 7; i++ {
		idStatus(t, srv.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": idPassword}, ""), http.StatusTooManyRequests)
	}
	clock.Advance(time.Minute)
	if err := srv.App.RunJob(context.Background(), "record_refusals", 0); err != nil {
		t.Fatal(err)
	}
	store := auditpg.New(idDB(t, srv))
	var summaries, failed []map[string]any
	deadline := time.Now().Add(10 * time.Second)
	for {
		records, err := store.List(context.Background(), auditport.Query{Limit: 100, Order: auditport.OldestFirst})
		if err != nil {
			t.Fatal(err)
		}
		summaries, failed = nil, nil
		for _, r := range records {
			s := r.State()
			var d map[string]any
			if err := json.Unmarshal(s.Details, &d); err != nil {
				t.Fatal(err)
			}
			switch s.Action {
			case "auth.login.rate_limited":
				summaries = append(summaries, d)
			case "auth.login.failed":
				failed = append(failed, d)
			}
		}
		if len(summaries) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond) // polling interval, not a wait for an event
	}
	if len(failed) != 2 {
		t.Fatalf("want the two wrong passwords audited one by one, got %v", failed)
	}
	if len(summaries) != 1 || summaries[0]["refused"] != float64(7) || summaries[0]["client"] != "127.0.0.1" || summaries[0]["limit"] != "login_client" {
		t.Fatalf("want one summary of 7 refusals from 127.0.0.1, got %v", summaries)
	}
}

// On Postgres and Redis a refused login is one script call (the attempt
// gate deciding every login limit and tallying the refusal), whichever limit
// refuses it, and it still refuses on a second instance.
func TestLogin_ARefusedAttemptIsOneRedisRoundTripOnEveryInstance(t *testing.T) {
	own := startOwnRedis(t, 0)
	onOwn := apitest.WithConfig(func(c *bootstrap.Config) {
		c.RedisURL, c.RedisKeyPrefix = own.url(), "authy:gate:"
		c.LoginRateLimitPerIP, c.LoginFailuresPerAccountClient = 30, 2
	})
	one := behindProxy(t, apitest.Production, onOwn)
	two := behindProxy(t, apitest.Production, apitest.ShareWith(one), onOwn)
	rdb := own.client(t)
	email := idEmail("gated")
	idRegister(t, one, email, idPassword)
	const client = "198.51.100.40"
	for range 2 {
		idStatus(t, loginAs(t, one, client, email, "a wrong guess"), http.StatusUnauthorized)
	}
	const n = 20
	before := commandCalls(t, rdb)
	for i := range n {
		srv := []*apitest.Server{one, two}[i%2]
		wantLoginRefused(t, loginAs(t, srv, client, email, idPassword), "a client that spent its failures on the account")
	}
	pair := commandCalls(t, rdb)["evalsha"] - before["evalsha"]
	// The client limit: 30 attempts, of which 22 are spent above.
	for range 8 {
		idStatus(t, loginAs(t, two, client, idEmail("other"), "a wrong guess"), http.StatusUnauthorized)
	}
	before = commandCalls(t, rdb)
	wantLoginRefused(t, loginAs(t, one, client, idEmail("third"), "a wrong guess"), "a client over its attempts")
	alone := commandCalls(t, rdb)["evalsha"] - before["evalsha"]
	// A background job (the refusal summary's drain) may run a script
	// meanwhile; the old path ran three per refusal.
	if pair < n || pair > n+2 || alone < 1 || alone > 2 {
		t.Fatalf("%d refused logins ran %d scripts, and one refused by the client limit %d: want one each", n, pair, alone)
	}
}
