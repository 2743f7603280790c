// Package apitest boots the whole server from bootstrap, exactly as
// production does, on a real loopback listener, and gives tests a client
// that checks every response against the served OpenAPI document: a
// response that drifts from the spec fails the test.
//
// Backends: Embedded (a fresh SQLite file and in-process adapters) and
// Production (a fresh PostgreSQL database and a unique Redis key prefix from
// tests/testenv). ShareWith starts a second instance on the same database and
// Redis, like two replicas behind a load balancer.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secuird/authy/adapters/httpapi/apidocs/apidocstest"
	"github.com/secuird/authy/bootstrap"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/tests/testenv"
)

// Backend selects the outbound adapters a server runs on.
type Backend int

// The backends.
const (
	Embedded Backend = iota
	Production
)

// String names the backend (for subtest names).
func (b Backend) String() string {
	if b == Production {
		return "postgres+redis"
	}
	return "sqlite+in-process"
}

// Backends lists both, for table-driven tests.
var Backends = []Backend{Production, Embedded}

// Option adjusts a server before it starts.
type Option func(*settings)

type settings struct {
	mutate []func(*bootstrap.Config)
	clock  platformport.Clock
	share  *Server
	// ownURL makes PUBLIC_URL the server's own loopback URL; ownHost
	// names its host instead of the address.
	ownURL  bool
	ownHost string
	extra   []bootstrap.Option
}

// WithConfig changes the configuration before the server is built.
func WithConfig(f func(*bootstrap.Config)) Option {
	return func(s *settings) { s.mutate = append(s.mutate, f) }
}

// WithClock replaces the server's clock.
func WithClock(c platformport.Clock) Option { return func(s *settings) { s.clock = c } }

// WithBootstrap passes o to bootstrap.New (other outbound adapters).
func WithBootstrap(o bootstrap.Option) Option {
	return func(s *settings) { s.extra = append(s.extra, o) }
}

// WithOwnPublicURL sets PUBLIC_URL to the server's own address, so the
// links it mails (and its absolute return targets) lead back to it: what a
// browser test clicks.
func WithOwnPublicURL() Option { return func(s *settings) { s.ownURL = true } }

// WithOwnPublicURLAt is WithOwnPublicURL with host (such as "localhost")
// instead of the loopback address: what a WebAuthn relying party id,
// which must be a domain, needs. URL then names that host too.
func WithOwnPublicURLAt(host string) Option {
	return func(s *settings) { s.ownURL, s.ownHost = true, host }
}

// ShareWith makes the new server use other's database and Redis prefix.
func ShareWith(other *Server) Option { return func(s *settings) { s.share = other } }

// Server is one running instance.
type Server struct {
	App         *bootstrap.App
	URL         string
	MetricsURL  string // the separate metrics listener
	Backend     Backend
	DatabaseURL string
	SQLitePath  string
	RedisURL    string
	RedisPrefix string

	cfg       bootstrap.Config
	client    *http.Client
	validator *apidocstest.Validator
	cancel    context.CancelFunc
	done      chan error
	stopOnce  sync.Once
	logs      *syncBuffer
}

// Start boots a server on backend and stops it when the test ends.
func Start(t testing.TB, backend Backend, opts ...Option) *Server {
	t.Helper()
	var st settings
	for _, o := range opts {
		o(&st)
	}
	cfg := bootstrap.DefaultConfig()
	cfg.AppEnv = bootstrap.EnvTesting
	cfg.Port = 0
	cfg.LogLevel = "debug"
	s := &Server{Backend: backend, logs: &syncBuffer{}}
	switch {
	case st.share != nil:
		s.Backend = st.share.Backend
		s.DatabaseURL, s.SQLitePath = st.share.DatabaseURL, st.share.SQLitePath
		s.RedisURL, s.RedisPrefix = st.share.RedisURL, st.share.RedisPrefix
	case backend == Production:
		s.DatabaseURL = testenv.NewPostgresDatabase(t)
		s.RedisURL = testenv.RedisURL(t)
		s.RedisPrefix = testenv.RedisPrefix(t)
	default:
		s.SQLitePath = filepath.Join(t.TempDir(), "authy.db")
	}
	cfg.DatabaseURL, cfg.SQLitePath = s.DatabaseURL, s.SQLitePath
	cfg.RedisURL, cfg.RedisKeyPrefix = s.RedisURL, s.RedisPrefix
	cfg.DBMaxOpenConns = 10
	for _, f := range st.mutate {
		f(&cfg)
	}
	// The listener is open before the server is built, so PUBLIC_URL can
	// name it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.URL = "http://" + ln.Addr().String()
	if st.ownHost != "" {
		s.URL = "http://" + net.JoinHostPort(st.ownHost, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	}
	if st.ownURL {
		cfg.PublicURL = s.URL
	}
	s.cfg = cfg

	bopts := []bootstrap.Option{bootstrap.WithLogger(slog.New(slog.NewJSONHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug})))}
	if st.clock != nil {
		bopts = append(bopts, bootstrap.WithClock(st.clock))
	}
	bopts = append(bopts, st.extra...)
	app, err := bootstrap.New(context.Background(), cfg, bopts...)
	if err != nil {
		_ = ln.Close()
		t.Fatalf("boot server on %s: %v", backend, err)
	}
	s.App = app
	validator, err := apidocstest.New(app.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	s.validator = validator

	metricsLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.MetricsURL = "http://" + metricsLn.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.done = make(chan error, 1)
	go func() { s.done <- app.ServeWithMetrics(ctx, ln, metricsLn) }()
	s.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("server logs (%s):\n%s", s.URL, s.logs.String())
		}
	})
	return s
}

// Config returns the configuration the server runs with.
func (s *Server) Config() bootstrap.Config { return s.cfg }

// Logs returns what the server has logged so far.
func (s *Server) Logs() string { return s.logs.String() }

// Stop shuts the server down gracefully and waits for it.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		s.cancel()
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
		}
		s.client.CloseIdleConnections()
	})
}

// Metrics scrapes GET /metrics from the metrics listener and returns the
// exposition; anything but a 200 fails the test.
func (s *Server) Metrics(t testing.TB) string {
	t.Helper()
	res, err := s.client.Get(s.MetricsURL + "/metrics")
	if err != nil {
		t.Fatalf("scrape metrics: %v", err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("scrape metrics: %d: %s", res.StatusCode, truncate(raw))
	}
	return string(raw)
}

// Envelope is the response envelope.
type Envelope struct {
	Version   string          `json:"version"`
	Success   bool            `json:"success"`
	Code      int             `json:"code"`
	Message   string          `json:"message"`
	RequestID string          `json:"request_id"`
	Data      json.RawMessage `json:"data"`
	Meta      json.RawMessage `json:"meta"`
	Error     *EnvelopeError  `json:"error"`
}

// EnvelopeError is the error block of an envelope.
type EnvelopeError struct {
	Type    string              `json:"type"`
	Code    string              `json:"code"`
	Details map[string][]string `json:"details"`
}

// Response is a received response with its decoded envelope.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	Env    Envelope
}

// Decode unmarshals the envelope's data into v.
func (r *Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Env.Data, v); err != nil {
		t.Fatalf("decode data: %v\n%s", err, r.Body)
	}
}

// DecodeMeta unmarshals the envelope's meta into v.
func (r *Response) DecodeMeta(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Env.Meta, v); err != nil {
		t.Fatalf("decode meta: %v\n%s", err, r.Body)
	}
}

// Do sends a JSON request (body nil sends none) with an optional bearer
// token, checks the envelope and validates the response against the OpenAPI
// document.
func (s *Server) Do(t testing.TB, method, path string, body any, token string) *Response {
	t.Helper()
	return s.DoWithHeaders(t, method, path, body, token, nil)
}

// DoWithHeaders is Do with extra request headers.
func (s *Server) DoWithHeaders(t testing.TB, method, path string, body any, token string, headers map[string]string) *Response {
	t.Helper()
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, s.URL+path, bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	httpRes, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer httpRes.Body.Close()
	raw, err := io.ReadAll(httpRes.Body)
	if err != nil {
		t.Fatal(err)
	}
	res := &Response{Status: httpRes.StatusCode, Header: httpRes.Header, Body: raw}
	if strings.HasPrefix(httpRes.Header.Get("Content-Type"), "application/json") && strings.HasPrefix(path, "/api/") && path != "/api/openapi.json" {
		if err := json.Unmarshal(raw, &res.Env); err != nil {
			t.Fatalf("%s %s: response is not an envelope: %v\n%s", method, path, err, raw)
		}
		if res.Env.Code != res.Status {
			t.Errorf("%s %s: envelope code %d differs from status %d", method, path, res.Env.Code, res.Status)
		}
		if res.Env.RequestID == "" || res.Env.RequestID != httpRes.Header.Get("X-Request-ID") {
			t.Errorf("%s %s: request_id %q does not match header %q", method, path, res.Env.RequestID, httpRes.Header.Get("X-Request-ID"))
		}
	}
	req.Body = io.NopCloser(bytes.NewReader(payload))
	s.validate(t, req, res)
	return res
}

// validate checks res against the document. An undocumented route is a
// failure unless the server itself answered it as unknown (404/405).
func (s *Server) validate(t testing.TB, req *http.Request, res *Response) {
	t.Helper()
	err := s.validator.Check(req, res.Status, res.Header, res.Body)
	if errors.Is(err, apidocstest.ErrUndocumented) &&
		((res.Status == http.StatusNotFound && res.Env.Error != nil && res.Env.Error.Code == "request.route_not_found") ||
			res.Status == http.StatusMethodNotAllowed) {
		return
	}
	if err != nil {
		t.Errorf("%v\nbody: %s", err, truncate(res.Body))
	}
}

// Raw sends req as is (relative URLs are resolved against the server) and
// returns the response without any validation, for malformed input.
func (s *Server) Raw(t testing.TB, req *http.Request) *http.Response {
	t.Helper()
	if req.URL.Host == "" {
		u := strings.TrimSuffix(s.URL, "/") + req.URL.RequestURI()
		r2, err := http.NewRequest(req.Method, u, req.Body)
		if err != nil {
			t.Fatal(err)
		}
		r2.Header = req.Header
		r2.ContentLength = req.ContentLength
		req = r2
	}
	res, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

func truncate(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 4<<20 {
		return len(p), nil
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
