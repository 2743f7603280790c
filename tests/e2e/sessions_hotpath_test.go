//go:build integration

package e2e

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/secuird/authy/bootstrap"
	"github.com/secuird/authy/tests/apitest"
)

// hotPair is two instances sharing one PostgreSQL database and a Redis of
// the test's own (so its command counts are the instances' alone, and it
// can be killed).
type hotPair struct {
	own      *ownRedis
	rdb      *redis.Client
	one, two *apitest.Server
}

func startHotPair(t *testing.T) *hotPair {
	t.Helper()
	own := startOwnRedis(t, 0)
	onOwn := apitest.WithConfig(func(c *bootstrap.Config) { c.RedisURL, c.RedisKeyPrefix = own.url(), "authy:hot:" })
	one := sessStart(t, apitest.Production, nil, onOwn)
	two := sessStart(t, apitest.Production, nil, apitest.ShareWith(one), onOwn)
	return &hotPair{own: own, rdb: own.client(t), one: one, two: two}
}

func (p *hotPair) servers() []*apitest.Server { return []*apitest.Server{p.one, p.two} }

// hotMe reads /auth/me (the route whose profile view is read ahead with
// the session) and returns the name it shows.
func hotMe(t *testing.T, srv *apitest.Server, token string) string {
	t.Helper()
	return profileGetMe(t, srv, token).Name
}

// hotRefused checks that /auth/me refuses token with a 401.
func hotRefused(t *testing.T, srv *apitest.Server, token string) {
	t.Helper()
	res := srv.Do(t, "GET", "/api/v1/auth/me", nil, token)
	if res.Status != http.StatusUnauthorized {
		t.Fatalf("GET /auth/me with an ended session on %s: %d %s", srv.URL, res.Status, res.Body)
	}
}

// commandCalls returns how often Redis has run each command.
func commandCalls(t *testing.T, rdb *redis.Client) map[string]int {
	t.Helper()
	info, err := rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, line := range strings.Split(info, "\n") {
		name, stats, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.HasPrefix(name, "cmdstat_") {
			continue
		}
		calls, _, _ := strings.Cut(strings.TrimPrefix(stats, "calls="), ",")
		n, err := strconv.Atoi(calls)
		if err != nil {
			t.Fatalf("commandstats line %q", line)
		}
		out[strings.TrimPrefix(name, "cmdstat_")] = n
	}
	return out
}

// oneRoundTrip checks that n /auth/me requests with token on srv cost n
// MGETs of the shared Redis and no separate read of the profile view.
func oneRoundTrip(t *testing.T, rdb *redis.Client, srv *apitest.Server, token string, n int) {
	t.Helper()
	before := commandCalls(t, rdb)
	for range n {
		hotMe(t, srv, token)
	}
	after := commandCalls(t, rdb)
	if mget, get := after["mget"]-before["mget"], after["get"]-before["get"]; mget != n || get != 0 {
		t.Fatalf("%d requests sent %d MGET and %d GET, want one MGET each and no GET", n, mget, get)
	}
}

func TestSessions_OnTheOneRoundTripPathASecondInstanceRefusesAnEndedSessionAndShowsAProfileChangeAtOnce(t *testing.T) {
	p := startHotPair(t)
	email := sessSignup(t, p.one)
	keeper, revoked := sessLoginAs(t, p.one, email, "keeper"), sessLoginAs(t, p.one, email, "revoked")
	loggedOut := sessLoginAs(t, p.two, email, "logged out")
	for _, srv := range p.servers() {
		for _, l := range []sessLogin{keeper, revoked, loggedOut} {
			hotMe(t, srv, l.Token) // every instance has read every token and the view
			hotMe(t, srv, l.Token)
		}
	}
	oneRoundTrip(t, p.rdb, p.two, revoked.Token, 10)
	oneRoundTrip(t, p.rdb, p.one, loggedOut.Token, 10)

	sessExpect(t, p.one.Do(t, "DELETE", "/api/v1/auth/sessions/"+revoked.Session.ID, nil, keeper.Token), http.StatusOK)
	hotRefused(t, p.two, revoked.Token)
	sessExpect(t, p.two.Do(t, "POST", "/api/v1/auth/logout", nil, loggedOut.Token), http.StatusOK)
	hotRefused(t, p.one, loggedOut.Token)

	sessExpect(t, p.one.Do(t, "PATCH", "/api/v1/users/me", map[string]any{"name": "Changed On One"}, keeper.Token), http.StatusOK)
	for _, srv := range []*apitest.Server{p.two, p.one, p.two} {
		if got := hotMe(t, srv, keeper.Token); got != "Changed On One" {
			t.Fatalf("name %q on %s right after the change, want the new one", got, srv.URL)
		}
	}
	oneRoundTrip(t, p.rdb, p.two, keeper.Token, 5) // the changed view is cached again
	hotRefused(t, p.two, revoked.Token)
	hotRefused(t, p.one, loggedOut.Token)
}

// Redis is killed under two instances and restarted empty. Sessions
// revoked before, and on either instance during, the outage are refused
// by both at every moment; the profile changed during the outage shows on
// both; once both trust Redis again the purges made during the outage are
// in it and /auth/me is back to one round trip.
func TestSessions_RedisKilledAndRestartedUnderTwoInstancesLetsNothingRevokedThrough(t *testing.T) {
	p := startHotPair(t)
	email := sessSignup(t, p.one)
	kept := sessLoginAs(t, p.one, email, "kept")
	before := sessLoginAs(t, p.one, email, "revoked before the outage")
	duringOne := sessLoginAs(t, p.two, email, "revoked on one during the outage")
	duringTwo := sessLoginAs(t, p.one, email, "logged out on two during the outage")
	for _, srv := range p.servers() {
		for _, l := range []sessLogin{kept, before, duringOne, duringTwo} {
			hotMe(t, srv, l.Token)
			hotMe(t, srv, l.Token)
		}
	}
	sessExpect(t, p.one.Do(t, "DELETE", "/api/v1/auth/sessions/"+before.Session.ID, nil, kept.Token), http.StatusOK)
	ended := []sessLogin{before}
	allRefused := func() {
		t.Helper()
		for _, srv := range p.servers() {
			for _, l := range ended {
				hotRefused(t, srv, l.Token)
			}
		}
	}
	allRefused()

	p.own.kill()
	for _, srv := range p.servers() {
		if got := hotMe(t, srv, kept.Token); got != "Sessions Tester" {
			t.Fatalf("name %q during the outage", got)
		}
	}
	allRefused()
	sessExpect(t, p.one.Do(t, "DELETE", "/api/v1/auth/sessions/"+duringOne.Session.ID, nil, kept.Token), http.StatusOK)
	sessExpect(t, p.two.Do(t, "POST", "/api/v1/auth/logout", nil, duringTwo.Token), http.StatusOK)
	ended = append(ended, duringOne, duringTwo)
	allRefused()
	sessExpect(t, p.one.Do(t, "PATCH", "/api/v1/users/me", map[string]any{"name": "Changed In The Outage"}, kept.Token), http.StatusOK)
	for _, srv := range p.servers() {
		if got := hotMe(t, srv, kept.Token); got != "Changed In The Outage" {
			t.Fatalf("name %q on %s after a change during the outage", got, srv.URL)
		}
	}

	restarted := startOwnRedis(t, p.own.port)
	p.rdb = restarted.client(t)
	sessEventually(t, "both instances to read sessions from the restarted Redis, with the outage's purges applied", func() bool {
		allRefused()
		for _, srv := range p.servers() {
			before := commandCalls(t, p.rdb)
			if got := hotMe(t, srv, kept.Token); got != "Changed In The Outage" {
				t.Fatalf("name %q on %s while Redis comes back", got, srv.URL)
			}
			if commandCalls(t, p.rdb)["mget"] == before["mget"] {
				return false // this instance does not trust the cache yet
			}
		}
		for _, l := range []sessLogin{duringOne, duringTwo} {
			if n, _ := p.rdb.Exists(context.Background(), "authy:hot:sess:rev:"+sessHashHex(l.Token)).Result(); n != 1 {
				t.Fatalf("an instance trusts the restarted Redis before the purge of %q is in it", l.Token[:8])
			}
		}
		return true
	})
	allRefused()
}
