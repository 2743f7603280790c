package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/adapters/httpapi/metricshttp"
	"github.com/secuird/authy/adapters/memstore/platformmem"
	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/redisstore/platformredis"
	"github.com/secuird/authy/application/federationapp"
	"github.com/secuird/authy/application/mfaapp"
	"github.com/secuird/authy/application/passkeyapp"
	"github.com/secuird/authy/application/ssoapp"
	"github.com/secuird/authy/migrations"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/organizationsport"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/sessionsport"
)

// App is one fully wired server: what `authy serve` runs and what the
// component and end-to-end tests boot.
type App struct {
	cfg     Config
	log     *slog.Logger
	clock   platformport.Clock
	db      *pgstore.DB
	rdb     *redis.Client
	limiter platformport.RateLimiter
	// localLimiter is the in-process limiter behind limiter when Redis
	// is configured (what fallbackLimiter falls back to).
	localLimiter platformport.RateLimiter
	meter        platformport.Meter
	checks       []platformport.HealthCheck
	jobs         map[string]Job

	// The keys (bootstrap/keys.go): the signer keyed from SECRET_KEY, the
	// ENCRYPTION_KEY keyring and the CA_ENCRYPTION_KEY keyring (nil in
	// production while CA_ENCRYPTION_KEY is unset).
	signer    platformport.Signer
	keyring   platformport.Keyring
	caKeyring platformport.Keyring

	identity      identityport.Service
	organizations organizationsport.Service
	// mfa completes the pages' sign-ins that need a second factor.
	mfa *mfaapp.Service
	// passkeys is nil when PUBLIC_URL names no domain (passkeys off).
	passkeys *passkeyapp.Service
	// federation is social and OpenID Connect sign-in; upstreamClient the
	// HTTP client of its provider calls (nil: the default).
	federation     *federationapp.Service
	upstreamClient *http.Client
	// sso is enterprise single sign-on (the sign-in page's discovery).
	sso *ssoapp.Service
	// oauth is the OpenID Provider's key manager and client seeder
	// (bootstrap/wire_oauth.go).
	oauth       *oauthWiring
	invitations organizationsport.InvitationNotifier

	// sessions is the sessions service; browser the cookie transport and
	// the pages (bootstrap/wire_pages.go).
	sessions sessionsport.Service
	browser  *browserWiring

	registry *prometheus.Registry
	requests *metricshttp.Requests
	http     *fiber.App
	edge     httpapi.Options
	workers  []Worker
	closers  []func() error
}

// Worker is a background loop that runs inside `serve` until its context
// ends (mail delivery, periodic jobs).
type Worker struct {
	Name string
	Run  func(ctx context.Context) error
}

// Option changes how New builds an App (tests swap the clock or logger).
type Option func(*buildOptions)

type buildOptions struct {
	upstreamClient *http.Client
	logger         *slog.Logger
	clock          platformport.Clock
	invitations    organizationsport.InvitationNotifier
	// connected, when set, sees the App once its database and Redis are
	// open, before anything uses them (a test counting their I/O).
	connected func(*App)
}

// WithLogger replaces the JSON logger on stdout.
func WithLogger(l *slog.Logger) Option { return func(o *buildOptions) { o.logger = l } }

// WithClock replaces the system clock.
func WithClock(c platformport.Clock) Option { return func(o *buildOptions) { o.clock = c } }

// NewLogger returns the structured logger for cfg writing to w.
func NewLogger(cfg Config, w io.Writer) *slog.Logger {
	level, _ := parseLevel(cfg.LogLevel)
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// New builds the whole server from cfg: it connects to the database (and
// Redis when configured), applies pending migrations unless
// MIGRATE_ON_START=false, and wires every context. On error everything
// opened so far is closed.
func New(ctx context.Context, cfg Config, opts ...Option) (app *App, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	bo := buildOptions{clock: platformport.SystemClock}
	for _, o := range opts {
		o(&bo)
	}
	if bo.logger == nil {
		bo.logger = NewLogger(cfg, os.Stdout)
	}
	a := &App{cfg: cfg, log: bo.logger, clock: bo.clock, meter: platformport.NopMeter{}, invitations: bo.invitations}
	a.upstreamClient = bo.upstreamClient
	defer func() {
		if err != nil {
			_ = a.Close()
		}
	}()
	if err := a.buildKeys(); err != nil {
		return nil, err
	}

	if err := a.openDatabase(ctx); err != nil {
		return nil, err
	}
	if err := a.openCache(); err != nil {
		return nil, err
	}
	if bo.connected != nil {
		bo.connected(a)
	}
	if err := a.setupMetrics(); err != nil {
		return nil, err
	}
	if err := a.buildHTTP(); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *App) openDatabase(ctx context.Context) error {
	db, err := pgstore.Open(pgstore.Options{
		URL:                      a.cfg.DatabaseURL,
		SQLitePath:               a.cfg.SQLitePath,
		MaxOpenConns:             a.cfg.DBMaxOpenConns,
		MaxIdleConns:             a.cfg.DBMaxIdleConns,
		ConnMaxLifetime:          a.cfg.DBConnMaxLifetime,
		ConnectTimeout:           a.cfg.DBConnectTimeout,
		StatementTimeout:         a.cfg.DBStatementTimeout,
		IdleInTransactionTimeout: a.cfg.DBIdleInTransactionTimeout,
		Logger:                   a.log,
	})
	if err != nil {
		return err
	}
	a.db = db
	a.closers = append(a.closers, db.Close)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.Ping(pingCtx); err != nil {
		return fmt.Errorf("database does not answer: %w", err)
	}
	if a.cfg.MigrateOnStart {
		m, err := pgstore.NewMigrator(db, migrations.FS)
		if err != nil {
			return err
		}
		n, err := m.Up(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			a.log.Info("migrations applied", "count", n, "dialect", string(db.Dialect()))
		}
	}
	// The health and readiness checks give up quickly: a database that hangs
	// makes readiness answer 503 within healthPingTimeout.
	ping := func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, healthPingTimeout)
		defer cancel()
		return db.Ping(ctx)
	}
	a.checks = append(a.checks, platformport.HealthCheck{
		Name: "database", Backend: string(db.Dialect()), Required: true, Check: ping,
	})
	return nil
}

// healthPingTimeout bounds the database check of /api/health and
// /api/health/ready.
const healthPingTimeout = 1500 * time.Millisecond

func (a *App) openCache() error {
	if a.cfg.RedisURL == "" {
		a.limiter = platformmem.NewRateLimiter(a.clock)
		a.checks = append(a.checks, platformport.HealthCheck{
			Name: "cache", Backend: "in-process", Check: func(context.Context) error { return nil },
		})
		return nil
	}
	rdb, err := platformredis.Open(platformredis.Options{URL: a.cfg.RedisURL, PoolSize: a.cfg.RedisPoolSize})
	if err != nil {
		return err
	}
	a.rdb = rdb
	a.closers = append(a.closers, rdb.Close)
	a.localLimiter = platformmem.NewRateLimiter(a.clock)
	a.limiter = &fallbackLimiter{
		shared: platformredis.NewRateLimiter(rdb, a.cfg.RedisKeyPrefix),
		local:  a.localLimiter,
		log:    a.log,
	}
	// Redis is not Required: without it the server is slower, not down.
	a.checks = append(a.checks, platformport.HealthCheck{
		Name: "cache", Backend: "redis", Check: func(ctx context.Context) error { return platformredis.Ping(ctx, rdb) },
	})
	return nil
}

func (a *App) buildHTTP() error {
	proxies, err := httpapi.ParseTrustedProxies(a.cfg.TrustedProxies)
	if err != nil {
		return err
	}
	if err := a.buildBrowser(); err != nil {
		return err
	}
	a.edge = httpapi.Options{
		Production:     a.cfg.Production(),
		BodyLimit:      a.cfg.BodyLimitBytes,
		CORSOrigins:    a.cfg.CORSOrigins,
		TrustedProxies: proxies,
		MaxHeaderBytes: a.cfg.MaxHeaderBytes,
		MaxConns:       a.cfg.MaxConns,
		MaxConnsPerIP:  a.cfg.MaxConnsPerIP,
		RequestTimeout: a.cfg.RequestTimeout,
		Logger:         a.log,
		Observe:        a.requests.Observe,
		Groups:         a.routeGroups(),
	}
	a.http = httpapi.New(a.edge)
	// Contexts wired below add their checks (mail), so health reads the list
	// when asked.
	httpapi.RegisterHealth(a.http, func() []platformport.HealthCheck { return a.checks })
	if err := a.mountDocs(); err != nil {
		return err
	}
	api := a.http.Group("/api/v1")
	// The API accepts the session cookie beside the bearer header.
	api.Use(a.browser.transport.Middleware())
	if err := a.mountContexts(api); err != nil {
		return err
	}
	return a.mountPages()
}

// Handler returns the HTTP application, for in-process tests (app.Test).
func (a *App) Handler() *fiber.App { return a.http }

// Config returns the configuration the app was built with.
func (a *App) Config() Config { return a.cfg }

// Run listens on HOST:PORT (and METRICS_ADDR unless it is empty) and
// serves until ctx ends, then shuts down gracefully.
func (a *App) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.cfg.Addr())
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.Addr(), err)
	}
	var metrics net.Listener
	if a.cfg.MetricsAddr != "" {
		if metrics, err = net.Listen("tcp", a.cfg.MetricsAddr); err != nil {
			_ = ln.Close()
			return fmt.Errorf("listen on METRICS_ADDR %s: %w", a.cfg.MetricsAddr, err)
		}
	}
	return a.ServeWithMetrics(ctx, ln, metrics)
}

// Serve serves the API on ln, without metrics; see ServeWithMetrics.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	return a.ServeWithMetrics(ctx, ln, nil)
}

// ServeWithMetrics serves the API on ln and GET /metrics on metrics (nil:
// none), and starts the background workers. ln is bounded by MAX_CONNS and
// MAX_CONNS_PER_IP. When ctx ends it stops accepting connections, lets
// in-flight requests finish (up to SHUTDOWN_TIMEOUT), stops the metrics
// listener and the workers and closes Redis and the database.
func (a *App) ServeWithMetrics(ctx context.Context, ln, metrics net.Listener) error {
	a.log.Info("listening", "addr", ln.Addr().String(), "env", a.cfg.AppEnv, "database", string(a.db.Dialect()), "cache", a.cacheBackend())
	stopMetrics := a.serveMetrics(metrics)
	workCtx, stopWorkers := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	for _, w := range a.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.Run(workCtx); err != nil && !errors.Is(err, context.Canceled) {
				a.log.Error("worker stopped", "worker", w.Name, "error", err.Error())
			}
		}()
	}
	serveErr := make(chan error, 1)
	edge := httpapi.Listener(ln, a.edge)
	go func() { serveErr <- a.http.Listener(edge) }()

	var err error
	select {
	case err = <-serveErr:
	case <-ctx.Done():
		a.log.Info("shutting down", "timeout", a.cfg.ShutdownTimeout.String())
		if serr := a.http.ShutdownWithTimeout(a.cfg.ShutdownTimeout); serr != nil {
			a.log.Error("shutdown", "error", serr.Error())
		}
		// Shutdown does nothing when the server has not begun to accept
		// yet (a signal right after start); closing the listener ends the
		// accept loop either way.
		_ = edge.Close()
		<-serveErr
	}
	stopMetrics()
	stopWorkers()
	wg.Wait()
	if cerr := a.Close(); cerr != nil && err == nil {
		err = cerr
	}
	a.log.Info("stopped")
	return err
}

func (a *App) cacheBackend() string {
	if a.rdb != nil {
		return "redis"
	}
	return "in-process"
}

// Close releases connections in reverse order of opening. It is safe to call
// more than once.
func (a *App) Close() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		if err := a.closers[i](); err != nil {
			errs = append(errs, err)
		}
	}
	a.closers = nil
	return errors.Join(errs...)
}
