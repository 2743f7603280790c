//go:build integration

package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/secuird/authy/bootstrap"
	"github.com/secuird/authy/tests/apitest"
)

// tcpProxy forwards loopback TCP connections to a target until it is
// partitioned: then every open connection is cut and new ones are closed as
// soon as they are accepted, as a network partition looks to a client
// whose connection attempts are refused.
type tcpProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]struct{}
}

func startTCPProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	go p.serve()
	t.Cleanup(func() {
		_ = ln.Close()
		p.partition()
	})
	return p
}

func (p *tcpProxy) addr() string { return p.ln.Addr().String() }

func (p *tcpProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.forward(c)
	}
}

func (p *tcpProxy) forward(c net.Conn) {
	if !p.track(c) {
		_ = c.Close()
		return
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil || !p.track(up) {
		_ = c.Close()
		if up != nil {
			_ = up.Close()
		}
		return
	}
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go pipe(up, c)
	go pipe(c, up)
	<-done
	_ = c.Close()
	_ = up.Close()
	p.untrack(c)
	p.untrack(up)
}

func (p *tcpProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *tcpProxy) untrack(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, c)
}

// partition cuts every connection and refuses new ones.
func (p *tcpProxy) partition() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		_ = c.Close()
	}
	clear(p.conns)
}

// heal forwards new connections again.
func (p *tcpProxy) heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
}

// redisThrough returns redisURL with its host replaced by addr.
func redisThrough(t *testing.T, redisURL, addr string) string {
	t.Helper()
	u, err := url.Parse(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = addr
	return u.String()
}

func redisHost(t *testing.T, redisURL string) string {
	t.Helper()
	u, err := url.Parse(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// hammer sends token to srv one request after another, from when it is
// called until the token is refused, and records when each accepted request
// was sent. Wait returns them; it fails the test when the token is still
// accepted after a generous deadline or gets anything but 200 or 401.
type hammer struct {
	done     chan struct{}
	accepted []time.Time
	err      error
}

func startHammer(srv *apitest.Server, token string) *hammer {
	h := &hammer{done: make(chan struct{})}
	go func() {
		defer close(h.done)
		client := &http.Client{Timeout: 10 * time.Second}
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			req, err := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/auth/me", nil)
			if err != nil {
				h.err = err
				return
			}
			req.Header.Set("Authorization", "Bearer "+token)
			sent := time.Now()
			res, err := client.Do(req)
			if err != nil {
				h.err = err
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			_ = res.Body.Close()
			switch res.StatusCode {
			case http.StatusOK:
				h.accepted = append(h.accepted, sent)
			case http.StatusUnauthorized:
				return
			default:
				h.err = fmt.Errorf("the token got %d", res.StatusCode)
				return
			}
		}
		h.err = fmt.Errorf("still accepted after %d requests", len(h.accepted))
	}()
	return h
}

func (h *hammer) wait(t *testing.T) []time.Time {
	t.Helper()
	<-h.done
	if h.err != nil {
		t.Fatal(h.err)
	}
	return h.accepted
}

// The revoking instance A reaches Redis through a proxy the test cuts, so
// its purge fails after the revocation committed and Redis still holds the
// session for instance B. B must refuse the token within the stated bound,
// two revocation polls after the commit: every request sent later than that
// is refused. The bound is kept by B itself (a deny set older than it is not
// relied on), so a slow machine cannot break it; it only makes the measured
// window shorter or longer within it.
func TestSessions_AnotherInstanceRefusesATokenRevokedWhileTheRevokingInstanceCannotReachRedisWithinTwoPolls(t *testing.T) {
	const poll = 50 * time.Millisecond
	withPoll := apitest.WithConfig(func(c *bootstrap.Config) { c.SessionRevocationPoll = poll })
	b := sessStart(t, apitest.Production, nil, withPoll)
	proxy := startTCPProxy(t, redisHost(t, b.RedisURL))
	a := sessStart(t, apitest.Production, nil, apitest.ShareWith(b), withPoll, apitest.WithConfig(func(c *bootstrap.Config) {
		c.RedisURL = redisThrough(t, b.RedisURL, proxy.addr())
	}))
	email := sessSignup(t, b)
	admin, victim := sessLoginAs(t, b, email, "admin"), sessLoginAs(t, b, email, "victim")
	for _, srv := range []*apitest.Server{a, b} {
		sessExpect(t, srv.Do(t, "GET", "/api/v1/auth/me", nil, admin.Token), http.StatusOK)
		sessExpect(t, srv.Do(t, "GET", "/api/v1/auth/me", nil, victim.Token), http.StatusOK)
	}

	proxy.partition()
	revoking := time.Now()
	h := startHammer(b, victim.Token)
	sessExpect(t, a.Do(t, "DELETE", "/api/v1/auth/sessions/"+victim.Session.ID, nil, admin.Token), http.StatusOK)
	committed := time.Now() // the revocation committed before its answer
	accepted := h.wait(t)
	var after, late int
	var window time.Duration
	for _, sent := range accepted {
		if sent.After(committed) {
			after++
		}
		if sent.Sub(committed) > 2*poll {
			late++
		}
		window = sent.Sub(revoking)
	}
	t.Logf("the other instance accepted the token %d times (%d after the revocation was answered in %s), the last one sent %s after it was requested (bound %s after the commit)",
		len(accepted), after, committed.Sub(revoking), window, 2*poll)
	if late > 0 {
		t.Fatalf("%d requests sent more than two polls (%s) after the revocation committed were accepted", late, 2*poll)
	}
	sessRefused(t, a, victim.Token)
	sessExpect(t, b.Do(t, "GET", "/api/v1/auth/me", nil, admin.Token), http.StatusOK)

	// Healed, A applies its purge and trusts Redis again; the token stays
	// refused on both.
	proxy.heal()
	sessEventually(t, "the tombstone in the shared Redis", func() bool {
		sessRefused(t, a, victim.Token)
		sessRefused(t, b, victim.Token)
		return sessCacheStatus(t, a) == "up"
	})
}

// A client presenting random bearer tokens gets 429 (envelope, Retry-After)
// once it has shown AUTH_UNKNOWN_TOKENS_PER_IP unknown ones in a minute,
// without a database look-up for the rest; valid sessions, its own cached
// one included, keep working, and other clients are not affected.
func TestSessions_RandomBearerTokensFromOneClientAreThrottledWhileValidSessionsWork(t *testing.T) {
	const limit = 5
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := sessStart(t, backend, nil, apitest.WithConfig(func(c *bootstrap.Config) {
				c.TrustedProxies = []string{"127.0.0.1", "::1"}
				c.AuthUnknownTokensPerIP = limit
			}))
			from := func(ip string) map[string]string { return map[string]string{"X-Forwarded-For": ip} }
			email := sessSignup(t, srv)
			own := sessLoginAs(t, srv, email, "attacker's own")
			victim := sessLoginAs(t, srv, email, "victim")
			sessExpect(t, srv.DoWithHeaders(t, "GET", "/api/v1/auth/me", nil, own.Token, from("203.0.113.9")), http.StatusOK)

			for i := 0; i < 60; i++ {
				res := srv.DoWithHeaders(t, "GET", "/api/v1/users/me", nil, sessRandomToken(t), from("203.0.113.9"))
				want := http.StatusUnauthorized
				if i >= limit {
					want = http.StatusTooManyRequests
				}
				sessExpect(t, res, want)
				if want == http.StatusTooManyRequests {
					if res.Env.Error == nil || res.Env.Error.Type != "RATE_LIMIT_EXCEEDED" || res.Env.Error.Code != "auth.too_many_unknown_tokens" {
						t.Fatalf("429 envelope %s", res.Body)
					}
					if ra, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
						t.Fatalf("Retry-After %q", res.Header.Get("Retry-After"))
					}
				}
			}
			sessExpect(t, srv.DoWithHeaders(t, "GET", "/api/v1/auth/me", nil, own.Token, from("203.0.113.9")), http.StatusOK)
			sessExpect(t, srv.DoWithHeaders(t, "GET", "/api/v1/auth/me", nil, victim.Token, from("198.51.100.20")), http.StatusOK)
			sessExpect(t, srv.DoWithHeaders(t, "GET", "/api/v1/auth/me", nil, sessRandomToken(t), from("198.51.100.20")), http.StatusUnauthorized)

			// An IPv6 client is its /64: rotating addresses inside it does
			// not buy more look-ups.
			for i := 0; i < limit; i++ {
				ip := fmt.Sprintf("2001:db8:7:7::%x", i+1)
				sessExpect(t, srv.DoWithHeaders(t, "GET", "/api/v1/auth/me", nil, sessRandomToken(t), from(ip)), http.StatusUnauthorized)
			}
			sessExpect(t, srv.DoWithHeaders(t, "GET", "/api/v1/auth/me", nil, sessRandomToken(t), from("2001:db8:7:7:ffff::1")), http.StatusTooManyRequests)
			sessExpect(t, srv.DoWithHeaders(t, "GET", "/api/v1/auth/me", nil, sessRandomToken(t), from("2001:db8:7:8::1")), http.StatusUnauthorized)

			// A fresh login is served at once, whatever was looked up before.
			fresh := sessLoginAs(t, srv, email, "fresh")
			sessExpect(t, srv.DoWithHeaders(t, "GET", "/api/v1/auth/me", nil, fresh.Token, from("203.0.113.9")), http.StatusOK)
		})
	}
}

func sessRandomToken(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
