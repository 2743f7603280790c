//go:build integration

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secuird/authy/bootstrap"
	"github.com/secuird/authy/tests/apitest"
)

var securityHeaderNames = []string{
	"X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy",
	"Content-Security-Policy", "Cross-Origin-Opener-Policy", "Cache-Control",
}

// rawRoundTrip writes raw on a fresh connection and reads one response.
func rawRoundTrip(t *testing.T, srv *apitest.Server, raw string) (*http.Response, []byte, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
	// The server may answer and close before all of raw is written.
	go func() { _, _ = io.WriteString(conn, raw) }()
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	return res, body, br
}

// requireEdgeEnvelope checks an error envelope with code and the security
// headers.
func requireEdgeEnvelope(t *testing.T, res *http.Response, body []byte, status int, code string) {
	t.Helper()
	var env apitest.Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("%d is not an envelope: %q", res.StatusCode, body)
	}
	if res.StatusCode != status || env.Code != status || env.Success || env.Error == nil || env.Error.Code != code {
		t.Fatalf("got %d %s, want %d %s", res.StatusCode, body, status, code)
	}
	if env.RequestID == "" || env.RequestID != res.Header.Get("X-Request-ID") {
		t.Errorf("request id %q, header %q", env.RequestID, res.Header.Get("X-Request-ID"))
	}
	for _, h := range securityHeaderNames {
		if res.Header.Get(h) == "" {
			t.Errorf("%d answer lacks %s", status, h)
		}
	}
}

var (
	requestsLine = regexp.MustCompile(`(?m)^authy_http_requests_total\{([^}]*)\} (\d+)$`)
	methodLabel  = regexp.MustCompile(`method="([^"]*)"`)
)

// requestCounts sums authy_http_requests_total by method label.
func requestCounts(exposition string) map[string]int {
	out := map[string]int{}
	for _, m := range requestsLine.FindAllStringSubmatch(exposition, -1) {
		method := "?"
		if mm := methodLabel.FindStringSubmatch(m[1]); mm != nil {
			method = mm[1]
		}
		n, _ := strconv.Atoi(m[2])
		out[method] += n
	}
	return out
}

func TestMetrics_StayScrapeableWithExactMethodLabelsUnderMixedConcurrentTraffic(t *testing.T) {
	// The labels come from the edge, the same on both backends.
	srv := apitest.Start(t, apitest.Embedded)
	type call struct{ method, path, body string }
	calls := []call{
		{"GET", "/api/health", ""},
		{"GET", "/api/v1/nope/" + strings.Repeat("n", 40), ""},
		{"POST", "/api/v1/auth/login", `{"email":"nobody@example.com"`},
		{"POST", "/api/v1/contact", `[]`},
		{"PATCH", "/api/v1/users/me", `{}`},
		{"DELETE", "/api/v1/auth/sessions/00000000-0000-0000-0000-000000000000", ""},
		{"PUT", "/api/v1/organizations/x", `{}`},
		{"OPTIONS", "/api/v1/auth/me", ""},
		{"HEAD", "/api/health", ""},
		{"GET", "/api/health/ready", ""},
	}
	valid := map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4, MaxConnsPerHost: 4}}
	defer client.CloseIdleConnections()

	const workers, rounds = 6, 25
	sent := map[string]int{}
	var sentMu sync.Mutex
	var wg sync.WaitGroup
	done := make(chan struct{})
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				c := calls[(w*7+r)%len(calls)]
				req, _ := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(c.body))
				if c.body != "" {
					req.Header.Set("Content-Type", "application/json")
				}
				req.Header.Set("X-Pad", strings.Repeat("p", (w*13+r*17)%300))
				res, err := client.Do(req)
				if err != nil {
					t.Errorf("%s %s: %v", c.method, c.path, err)
					return
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				sentMu.Lock()
				sent[c.method]++
				sentMu.Unlock()
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()

	checkScrape := func() map[string]int {
		t.Helper()
		counts := requestCounts(srv.Metrics(t)) // fails the test on anything but 200
		for m := range counts {
			if !valid[m] {
				t.Fatalf("metrics carry the method label %q", m)
			}
		}
		return counts
	}
	scrapes := 0
	for running := true; running; scrapes++ {
		select {
		case <-done:
			running = false
		default:
		}
		checkScrape()
	}
	// Every request is counted before its answer leaves, so the counts
	// settle on exactly what was sent.
	deadline := time.Now().Add(10 * time.Second)
	for {
		counts := checkScrape()
		same := len(counts) == len(sent)
		for m, n := range sent {
			same = same && counts[m] == n
		}
		if same {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %d scrapes the counts by method are %v, sent %v", scrapes, counts, sent)
		}
		time.Sleep(20 * time.Millisecond) // polling interval
	}
}

func TestMetrics_AreServedOnlyOnTheirOwnListener(t *testing.T) {
	srv := apitest.Start(t, apitest.Embedded)
	res := srv.Raw(t, mustRequest(t, "GET", "/metrics"))
	body, _ := io.ReadAll(res.Body)
	var env apitest.Envelope
	if res.StatusCode != http.StatusNotFound || json.Unmarshal(body, &env) != nil || env.Error == nil || env.Error.Code != "request.route_not_found" {
		t.Fatalf("the public listener answered /metrics with %d %s", res.StatusCode, body)
	}
	if body := srv.Metrics(t); !strings.Contains(body, `authy_http_requests_total{method="GET",route="(unmatched)",status="404"} 1`) {
		t.Fatalf("the metrics listener does not count the public request:\n%s", body)
	}
}

// runLogged boots cfg through App.Run, as `authy serve` does, and returns the
// addresses it logged.
func runLogged(t *testing.T, cfg bootstrap.Config) (api, metrics string) {
	t.Helper()
	logs := &lockedBuffer{}
	app, err := bootstrap.New(context.Background(), cfg, bootstrap.WithLogger(slog.New(slog.NewJSONHandler(logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- app.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-ran; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		for _, line := range strings.Split(logs.String(), "\n") {
			var l struct{ Msg, Addr, Error string }
			if json.Unmarshal([]byte(line), &l) != nil {
				continue
			}
			switch l.Msg {
			case "listening":
				api = l.Addr
			case "metrics listening":
				metrics = l.Addr
			}
		}
		if api != "" && (metrics != "" || cfg.MetricsAddr == "") {
			return api, metrics
		}
		select {
		case err := <-ran:
			t.Fatalf("run ended: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server never said where it listens:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond) // polling interval
	}
}

func TestServe_RunsMetricsOnMetricsAddrAndNowhereWhenItIsEmpty(t *testing.T) {
	cfg := bootstrap.DefaultConfig()
	cfg.AppEnv = bootstrap.EnvTesting
	cfg.SQLitePath = filepath.Join(t.TempDir(), "authy.db")
	cfg.Port, cfg.MetricsAddr = 0, "127.0.0.1:0"
	api, metrics := runLogged(t, cfg)
	get := func(url string) int {
		t.Helper()
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		_, _ = io.Copy(io.Discard, res.Body)
		return res.StatusCode
	}
	if got := get("http://" + metrics + "/metrics"); got != 200 {
		t.Fatalf("METRICS_ADDR answered %d", got)
	}
	if got := get("http://" + api + "/metrics"); got != 404 {
		t.Fatalf("the public listener answered /metrics with %d", got)
	}

	cfg.SQLitePath = filepath.Join(t.TempDir(), "authy.db")
	cfg.MetricsAddr = ""
	if _, metrics := runLogged(t, cfg); metrics != "" {
		t.Fatalf("an empty METRICS_ADDR still served metrics on %s", metrics)
	}
}

func TestServe_ReturnsWhenStoppedRightAfterStart(t *testing.T) {
	cfg := bootstrap.DefaultConfig()
	cfg.AppEnv = bootstrap.EnvTesting
	cfg.SQLitePath = filepath.Join(t.TempDir(), "authy.db")
	app, err := bootstrap.New(context.Background(), cfg, bootstrap.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a signal that arrives before the server began to accept
	served := make(chan error, 1)
	go func() { served <- app.Serve(ctx, ln) }()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve never returned after its context ended")
	}
}

func TestServe_StartsOnAnIPv6Host(t *testing.T) {
	if ln, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	} else {
		ln.Close()
	}
	cfg := bootstrap.DefaultConfig()
	cfg.AppEnv = bootstrap.EnvTesting
	cfg.SQLitePath = filepath.Join(t.TempDir(), "authy.db")
	cfg.Host, cfg.Port, cfg.MetricsAddr = "::1", 0, ""
	api, _ := runLogged(t, cfg)
	res, err := http.Get("http://" + api + "/api/health")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("health on %s: %d", api, res.StatusCode)
	}
}

func TestEdge_RequestLinesUpTo16KiBAnswerAndLargerOnesGet431EveryTime(t *testing.T) {
	srv := apitest.Start(t, apitest.Embedded)
	fits := "GET /api/health?return_to=" + strings.Repeat("r", 15<<10) + " HTTP/1.1\r\nHost: authy\r\n\r\n"
	res, body, _ := rawRoundTrip(t, srv, fits)
	if res.StatusCode != 200 {
		t.Fatalf("a 15 KiB query string: %d %s", res.StatusCode, body)
	}
	tooLong := "GET /api/health?return_to=" + strings.Repeat("r", 20<<10) + " HTTP/1.1\r\nHost: authy\r\nConnection: close\r\n\r\n"
	for range 40 {
		res, body, _ := rawRoundTrip(t, srv, tooLong)
		requireEdgeEnvelope(t, res, body, http.StatusRequestHeaderFieldsTooLarge, "request.headers_too_large")
	}
	// Through an ordinary client as well: no connection reset.
	for range 10 {
		r := srv.Raw(t, mustRequest(t, "GET", "/api/health?cursor="+strings.Repeat("A", 20<<10)))
		b, err := io.ReadAll(r.Body)
		if err != nil || r.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("%d %v %s", r.StatusCode, err, b)
		}
	}
}

func mustRequest(t *testing.T, method, path string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestEdge_TwoContentLengthsAreRefusedAndNothingHiddenIsServed(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend)
			body := `{"email":"a@example.com","password":"x"}`
			hidden := "DELETE /api/v1/users/me HTTP/1.1\r\nHost: authy\r\n\r\n"
			for name, lengths := range map[string]string{
				"conflicting": fmt.Sprintf("Content-Length: %d\r\nContent-Length: %d\r\n", len(body), len(body)+len(hidden)),
				"identical":   fmt.Sprintf("Content-Length: %d\r\nContent-Length: %d\r\n", len(body), len(body)),
			} {
				t.Run(name, func(t *testing.T) {
					res, got, br := rawRoundTrip(t, srv, "POST /api/v1/auth/login HTTP/1.1\r\nHost: authy\r\nContent-Type: application/json\r\n"+
						lengths+"\r\n"+body+hidden)
					requireEdgeEnvelope(t, res, got, http.StatusBadRequest, "request.ambiguous_length")
					if !res.Close {
						t.Error("the refusal must close the connection")
					}
					if rest, _ := io.ReadAll(br); len(rest) > 0 {
						t.Fatalf("the server answered the hidden request: %q", rest)
					}
				})
			}
		})
	}
}

func TestEdge_AnswersBeforeRoutingCarryTheEnvelopeAndSecurityHeaders(t *testing.T) {
	srv := apitest.Start(t, apitest.Embedded)
	res, body, _ := rawRoundTrip(t, srv, "BREW /api/health HTTP/1.1\r\nHost: authy\r\n\r\n")
	requireEdgeEnvelope(t, res, body, http.StatusBadRequest, "request.invalid_method")
	res, body, _ = rawRoundTrip(t, srv, "GET /api/health HTTP/1.1\r\nHost: authy\r\nX-Big: "+strings.Repeat("h", 17<<10)+"\r\n\r\n")
	requireEdgeEnvelope(t, res, body, http.StatusRequestHeaderFieldsTooLarge, "request.headers_too_large")
	res, body, _ = rawRoundTrip(t, srv, "POST /api/v1/contact HTTP/1.1\r\nHost: authy\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\n{}")
	requireEdgeEnvelope(t, res, body, http.StatusUnsupportedMediaType, "request.unsupported_content_encoding")
}

func TestSlowBodies_HeapDoesNotFollowTheDeclaredLength(t *testing.T) {
	const conns, declared = 300, 1 << 20
	srv := apitest.Start(t, apitest.Embedded, apitest.WithConfig(func(c *bootstrap.Config) {
		c.MaxConnsPerIP = 0 // measure the bodies, not the connection bound
		c.BodyLimitBytes = declared
	}))
	addr := strings.TrimPrefix(srv.URL, "http://")
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	goroutines := runtime.NumGoroutine()

	var open []net.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	head := fmt.Sprintf("POST /api/v1/auth/login HTTP/1.1\r\nHost: authy\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", declared)
	for range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, c)
		if _, err := io.WriteString(c, head); err != nil {
			t.Fatal(err)
		}
	}
	// Wait until the server holds every connection (one goroutine each).
	deadline := time.Now().Add(20 * time.Second)
	for runtime.NumGoroutine() < goroutines+conns {
		if time.Now().After(deadline) {
			t.Fatalf("the server serves %d goroutines, want %d more than %d", runtime.NumGoroutine(), conns, goroutines)
		}
		time.Sleep(20 * time.Millisecond) // polling interval
	}
	// Trickle a few bytes on each, as the attack does.
	for range 5 {
		for _, c := range open {
			_ = c.SetWriteDeadline(time.Now().Add(time.Second))
			if _, err := io.WriteString(c, " "); err != nil {
				t.Fatalf("the server dropped a slow connection early: %v", err)
			}
		}
	}
	runtime.GC()
	var during runtime.MemStats
	runtime.ReadMemStats(&during)
	grown := int64(during.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("%d connections declaring %d MiB each: live heap grew by %.1f MiB", conns, declared>>20, float64(grown)/(1<<20))
	if limit := int64(conns) * declared / 10; grown > limit {
		t.Fatalf("live heap grew by %d bytes for %d slow bodies (declared %d in all); it follows the declared length", grown, conns, conns*declared)
	}
	if res := srv.Do(t, "GET", "/api/health", nil, ""); res.Status != 200 {
		t.Fatalf("under the attack health answered %d", res.Status)
	}
	for _, c := range open {
		c.Close()
	}
	// A large body that arrives whole within the read timeout is an
	// ordinary request.
	body := append([]byte(`{"email":"`), bytes.Repeat([]byte("x"), declared-len(`{"email":"`)-2)...)
	body = append(body, '"', '}')
	res, got, _ := rawRoundTrip(t, srv, head[:len(head)-1]+string(body))
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(got), "VALIDATION_ERROR") {
		t.Fatalf("a whole 1 MiB body: %d %s", res.StatusCode, got)
	}
}

// lockedBuffer is a log sink safe for concurrent writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
