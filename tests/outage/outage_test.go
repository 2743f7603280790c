//go:build integration

package outage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/secuird/authy/bootstrap"
	"github.com/secuird/authy/tests/apitest"
	"github.com/secuird/authy/tests/testenv"
)

const (
	password = "Outage pass 1!"
	// requestTimeout is the server's REQUEST_TIMEOUT here; clientTimeout is
	// how long the tests' clients wait, far longer, so "answered before the
	// client gave up" means the server bounded the request itself.
	requestTimeout = 3 * time.Second
	clientTimeout  = 30 * time.Second
	poolSize       = 10
)

type fixture struct {
	srv    *apitest.Server
	proxy  *dbProxy
	client *http.Client
	email  string
	token  string
	orgID  string
}

// start boots the server on PostgreSQL reached through a proxy the test
// controls (and Redis directly), with one user signed in who owns one
// organization.
func start(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{client: &http.Client{Timeout: clientTimeout}}
	f.srv = apitest.Start(t, apitest.Production, apitest.WithConfig(func(c *bootstrap.Config) {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil {
			t.Fatal(err)
		}
		f.proxy = startProxy(t, u.Host)
		u.Host = f.proxy.Addr()
		c.DatabaseURL = u.String()
		c.DBMaxOpenConns = poolSize
		c.RequestTimeout = requestTimeout
		c.LoginRateLimitPerIP = 1000
		c.RegisterRateLimitPerIP = 1000
		c.PasswordChangeRateLimitPerUser = 1000
	}))
	f.email = fmt.Sprintf("outage-%s@example.com", testenv.Unique())
	res := f.srv.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": f.email, "password": password, "name": "Outage User"}, "")
	if res.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", res.Status, res.Body)
	}
	res = f.srv.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": f.email, "password": password}, "")
	if res.Status != http.StatusOK {
		t.Fatalf("login: %d %s", res.Status, res.Body)
	}
	var login struct {
		Token string `json:"token"`
	}
	res.Decode(t, &login)
	f.token = login.Token
	res = f.srv.Do(t, "POST", "/api/v1/organizations", map[string]any{"name": "Outage Co " + testenv.Unique()}, f.token)
	if res.Status != http.StatusCreated {
		t.Fatalf("create organization: %d %s", res.Status, res.Body)
	}
	var org struct {
		ID string `json:"id"`
	}
	res.Decode(t, &org)
	f.orgID = org.ID
	return f
}

// route is one request of the walk. cacheable marks a route the server may
// answer from the Redis cache without the database.
type route struct {
	name      string
	method    string
	path      string
	body      func() any
	auth      bool
	cacheable bool
}

func (f *fixture) routes() []route {
	fresh := func() any {
		return map[string]any{"email": fmt.Sprintf("new-%s@example.com", testenv.Unique()), "password": password, "name": "New User"}
	}
	return []route{
		{name: "register", method: "POST", path: "/api/v1/auth/register", body: fresh},
		{name: "login", method: "POST", path: "/api/v1/auth/login", body: func() any { return map[string]any{"email": f.email, "password": password} }},
		{name: "auth me", method: "GET", path: "/api/v1/auth/me", auth: true, cacheable: true},
		{name: "profile", method: "GET", path: "/api/v1/users/me", auth: true},
		{name: "profile change", method: "PATCH", path: "/api/v1/users/me", auth: true, body: func() any { return map[string]any{"name": "Renamed " + testenv.Unique()} }},
		{name: "session list", method: "GET", path: "/api/v1/auth/sessions", auth: true},
		{name: "session refresh", method: "POST", path: "/api/v1/auth/sessions/refresh", auth: true},
		{name: "contact", method: "POST", path: "/api/v1/contact", body: func() any {
			return map[string]any{"type": "general", "name": "Ada", "email": "ada-" + testenv.Unique() + "@example.com", "message": "Hello from the outage test."}
		}},
		{name: "organization list", method: "GET", path: "/api/v1/users/me/organizations", auth: true},
		{name: "organization", method: "GET", path: "/api/v1/organizations/" + f.orgID, auth: true},
		{name: "organization create", method: "POST", path: "/api/v1/organizations", auth: true, body: func() any { return map[string]any{"name": "Outage Two " + testenv.Unique()} }},
		{name: "audit", method: "GET", path: "/api/v1/users/me/audit-logs", auth: true},
		// Last: it changes the password the routes above log in with.
		{name: "password change", method: "POST", path: "/api/v1/users/me/password", auth: true, body: func() any {
			return map[string]any{"current_password": password, "new_password": "Changed pass " + testenv.Unique()}
		}},
	}
}

func (f *fixture) do(t *testing.T, r route) *apitest.Response {
	t.Helper()
	var body any
	if r.body != nil {
		body = r.body()
	}
	token := ""
	if r.auth {
		token = f.token
	}
	return f.srv.Do(t, r.method, r.path, body, token)
}

// expectUnavailable checks a 503 SERVICE_UNAVAILABLE envelope with a
// Retry-After hint in whole seconds.
func expectUnavailable(t *testing.T, what string, status int, header http.Header, body []byte) {
	t.Helper()
	if status != http.StatusServiceUnavailable {
		t.Errorf("%s: status %d, want 503: %s", what, status, body)
		return
	}
	if secs, err := strconv.Atoi(header.Get("Retry-After")); err != nil || secs < 1 {
		t.Errorf("%s: Retry-After %q, want a positive number of seconds", what, header.Get("Retry-After"))
	}
	var env apitest.Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		t.Errorf("%s: not an envelope: %v: %s", what, err, body)
		return
	}
	if env.Success || env.Code != http.StatusServiceUnavailable || env.Error == nil || env.Error.Type != "SERVICE_UNAVAILABLE" || env.Error.Code == "" {
		t.Errorf("%s: envelope %s", what, body)
	}
}

// waitReady polls readiness until it answers 200.
func (f *fixture) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(clientTimeout)
	for {
		res := f.srv.Do(t, "GET", "/api/health/ready", nil, "")
		if res.Status == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready again %s after the database came back: %d %s", clientTimeout, res.Status, res.Body)
		}
	}
}

type answer struct {
	name    string
	status  int
	header  http.Header
	body    []byte
	elapsed time.Duration
	err     error
}

// burst sends every route n times at once (more requests than the pool
// has connections) and waits for all the answers.
func (f *fixture) burst(rs []route, n int) []answer {
	var (
		mu  sync.Mutex
		out []answer
		wg  sync.WaitGroup
	)
	for i := 0; i < n; i++ {
		for _, r := range rs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a := f.send(r)
				mu.Lock()
				out = append(out, a)
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	return out
}

func (f *fixture) send(r route) answer {
	a := answer{name: r.name}
	var payload io.Reader
	if r.body != nil {
		raw, err := json.Marshal(r.body())
		if err != nil {
			a.err = err
			return a
		}
		payload = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(r.method, f.srv.URL+r.path, payload)
	if err != nil {
		a.err = err
		return a
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.auth {
		req.Header.Set("Authorization", "Bearer "+f.token)
	}
	began := time.Now()
	res, err := f.client.Do(req)
	if err != nil {
		a.err = err
		a.elapsed = time.Since(began)
		return a
	}
	defer res.Body.Close()
	a.body, a.err = io.ReadAll(res.Body)
	a.elapsed = time.Since(began)
	a.status, a.header = res.StatusCode, res.Header
	return a
}

func TestOutage_AHungDatabaseAnswers503WithinTheDeadlineAndThePoolHealsWithoutRestart(t *testing.T) {
	f := start(t)
	reads := []route{
		{name: "session list", method: "GET", path: "/api/v1/auth/sessions", auth: true},
		{name: "organization list", method: "GET", path: "/api/v1/users/me/organizations", auth: true},
		{name: "audit", method: "GET", path: "/api/v1/users/me/audit-logs", auth: true},
		{name: "profile change", method: "PATCH", path: "/api/v1/users/me", auth: true, body: func() any { return map[string]any{"name": "Renamed " + testenv.Unique()} }},
		{name: "ready", method: "GET", path: "/api/health/ready"},
	}

	f.proxy.Set(blackHole)
	var slowest time.Duration
	for _, a := range f.burst(reads, poolSize) {
		if a.err != nil {
			t.Errorf("%s: no answer within the client's %s while the database hangs: %v", a.name, clientTimeout, a.err)
			continue
		}
		expectUnavailable(t, a.name+" (database hangs)", a.status, a.header, a.body)
		slowest = max(slowest, a.elapsed)
	}
	t.Logf("database black-holed: %d requests answered, the slowest after %s (REQUEST_TIMEOUT %s)", len(reads)*poolSize, slowest.Round(time.Millisecond), requestTimeout)
	if t.Failed() {
		t.FailNow()
	}

	// The connections that hung stay black holes; the instance must get
	// rid of them and open new ones by itself.
	f.proxy.Set(pass)
	f.waitReady(t)
	// A connection that sat idle through the outage is still a black hole
	// and fails the one request that draws it (within the deadline) before
	// the pool drops it; the instance has healed once a whole burst passes.
	deadline := time.Now().Add(clientTimeout)
	for {
		var failed []answer
		for _, a := range f.burst(reads, 2*poolSize) {
			if a.err != nil || a.status/100 != 2 {
				failed = append(failed, a)
			}
		}
		if len(failed) == 0 {
			break
		}
		if time.Now().After(deadline) {
			for _, a := range failed {
				t.Errorf("%s %s after the database came back: %d %v %s", a.name, clientTimeout, a.status, a.err, a.body)
			}
			break
		}
	}
	for _, r := range f.routes() {
		if res := f.do(t, r); res.Status/100 != 2 {
			t.Errorf("%s after the database came back: %d %s", r.name, res.Status, res.Body)
		}
	}
}

func TestOutage_EveryRouteAnswers503WithRetryAfterWhileTheDatabaseRefuses(t *testing.T) {
	f := start(t)

	f.proxy.Set(refuse)
	for _, r := range f.routes() {
		res := f.do(t, r)
		if r.cacheable && res.Status == http.StatusOK {
			continue // served from the Redis cache; needs no database
		}
		expectUnavailable(t, r.name+" (database refuses)", res.Status, res.Header, res.Body)
	}
	res := f.srv.Do(t, "GET", "/api/health/ready", nil, "")
	expectUnavailable(t, "ready (database refuses)", res.Status, res.Header, res.Body)

	f.proxy.Set(pass)
	f.waitReady(t)
	for _, r := range f.routes() {
		if res := f.do(t, r); res.Status/100 != 2 {
			t.Errorf("%s after the database came back: %d %s", r.name, res.Status, res.Body)
		}
	}
}
