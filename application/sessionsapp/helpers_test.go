package sessionsapp_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/memstore/platformmem"
	"github.com/secuird/authy/adapters/memstore/sessionsmem"
	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/sessionspg"
	"github.com/secuird/authy/adapters/security"
	"github.com/secuird/authy/application/sessionsapp"
	"github.com/secuird/authy/domain/sessions"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/sessionsport"
	"github.com/secuird/authy/tests/testenv"
)

var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

const (
	idle     = 15 * time.Minute
	absolute = 8 * time.Hour
)

// unknownLimit is the fixture's throttle of unknown tokens per client.
var unknownLimit = platformport.Limit{Max: 20, Window: time.Minute}

// clock is a fixed clock tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// recorder is a fake audit recorder that keeps events per transaction: it
// registers them after the store's commit, so a rollback drops them.
type recorder struct {
	uow    platformport.UnitOfWork
	mu     sync.Mutex
	events []auditport.Event
}

func (r *recorder) Record(ctx context.Context, events ...auditport.Event) error {
	r.uow.AfterCommit(ctx, func(context.Context) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.events = append(r.events, events...)
	})
	return nil
}

func (r *recorder) actions() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.events))
	for i, e := range r.events {
		out[i] = e.Action
	}
	return out
}

func (r *recorder) last() auditport.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.events[len(r.events)-1]
}

type meter struct {
	mu     sync.Mutex
	counts map[string]int
}

func (m *meter) Add(metric platformport.Metric, outcome string, n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.counts == nil {
		m.counts = map[string]int{}
	}
	m.counts[string(metric)+":"+outcome] += n
}

func (m *meter) get(key string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts[key]
}

var errCacheDown = errors.New("cache: connection refused")

// flakyCache wraps the in-process cache and fails every call while down.
type flakyCache struct {
	inner  atomic.Pointer[sessionsmem.Cache]
	down   atomic.Bool
	onPing func()
}

func (f *flakyCache) Get(ctx context.Context, h sessions.TokenHash) (sessionsport.CachedSession, sessionsport.CacheState, error) {
	if f.down.Load() {
		return sessionsport.CachedSession{}, sessionsport.CacheMiss, errCacheDown
	}
	return f.inner.Load().Get(ctx, h)
}

func (f *flakyCache) GetMany(ctx context.Context, hs []sessions.TokenHash) (map[sessions.TokenHash]sessionsport.CachedSession, error) {
	if f.down.Load() {
		return nil, errCacheDown
	}
	return f.inner.Load().GetMany(ctx, hs)
}

func (f *flakyCache) Put(ctx context.Context, e sessionsport.CachedSession, now time.Time) error {
	if f.down.Load() {
		return errCacheDown
	}
	return f.inner.Load().Put(ctx, e, now)
}

func (f *flakyCache) Purge(ctx context.Context, ps []sessionsport.Purge, now time.Time) error {
	if f.down.Load() {
		return errCacheDown
	}
	return f.inner.Load().Purge(ctx, ps, now)
}

func (f *flakyCache) MarkUnknown(ctx context.Context, h sessions.TokenHash, until, now time.Time) error {
	if f.down.Load() {
		return errCacheDown
	}
	return f.inner.Load().MarkUnknown(ctx, h, until, now)
}

func (f *flakyCache) Ping(ctx context.Context) error {
	if f.onPing != nil {
		f.onPing()
	}
	if f.down.Load() {
		return errCacheDown
	}
	return nil
}

// countingStore counts the reads that authenticating a token may cost.
type countingStore struct {
	*sessionspg.Store
	byHash  atomic.Int64
	pending atomic.Int64
}

func (c *countingStore) ByTokenHash(ctx context.Context, h sessions.TokenHash) (*sessions.Session, error) {
	c.byHash.Add(1)
	return c.Store.ByTokenHash(ctx, h)
}

func (c *countingStore) PendingPurges(ctx context.Context, limit int) ([]sessionsport.Purge, error) {
	c.pending.Add(1)
	return c.Store.PendingPurges(ctx, limit)
}

type fixture struct {
	svc     *sessionsapp.Service
	db      *pgstore.DB
	store   *sessionspg.Store
	reads   *countingStore
	limiter *platformmem.RateLimiter
	cache   *flakyCache
	clock   *clock
	audit   *recorder
	meter   *meter
	policy  sessions.Policy
	tokens  security.SessionTokens
}

// newFixture builds a service on the session store of a throwaway SQLite
// database and an in-process cache; opts change its dependencies before it
// is built.
func newFixture(t *testing.T, opts ...func(*sessionsapp.Deps)) *fixture {
	t.Helper()
	p, err := sessions.NewPolicy(idle, absolute)
	if err != nil {
		t.Fatal(err)
	}
	db := testenv.SQLite(t)
	store := sessionspg.New(db)
	f := &fixture{
		db: db, store: store, reads: &countingStore{Store: store}, cache: &flakyCache{}, clock: &clock{now: t0},
		audit: &recorder{uow: db}, meter: &meter{}, policy: p,
	}
	f.limiter = platformmem.NewRateLimiter(f.clock)
	f.cache.inner.Store(sessionsmem.NewCache())
	f.svc = f.instance(t, f.cache, opts...)
	return f
}

// instance builds another server instance on f's store, clock and audit
// recorder, with its own view of the cache, reconciled.
func (f *fixture) instance(t *testing.T, cache sessionsport.Cache, opts ...func(*sessionsapp.Deps)) *sessionsapp.Service {
	t.Helper()
	d := sessionsapp.Deps{
		Store: f.reads, UoW: f.db, Cache: cache, Tokens: f.tokens, Audit: f.audit,
		Clock: f.clock, Meter: f.meter, Policy: f.policy,
		Limiter: f.limiter, UnknownTokens: unknownLimit,
	}
	for _, o := range opts {
		o(&d)
	}
	svc, err := sessionsapp.New(d)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	return svc
}

func ctxFrom(ip, ua string) context.Context {
	return shared.WithRequestMeta(context.Background(), shared.RequestMeta{RequestID: "r", ClientIP: ip, UserAgent: ua})
}

// newUser stores a user sessions may reference and returns its id.
func (f *fixture) newUser(t *testing.T) shared.UserID {
	t.Helper()
	id := uuid.New()
	testenv.StoreUser(t, f.db, id)
	return shared.UserID(id)
}

func (f *fixture) start(t *testing.T, user shared.UserID) sessionsport.IssuedSession {
	t.Helper()
	is, err := f.svc.Start(ctxFrom("198.51.100.7", "test-agent"), user, sessions.MethodPassword)
	if err != nil {
		t.Fatal(err)
	}
	return is
}

func (f *fixture) auth(t *testing.T, token string) sessionsport.Principal {
	t.Helper()
	p, err := f.svc.Authenticate(context.Background(), token)
	if err != nil {
		t.Fatalf("authenticate: %v", err)
	}
	return p
}

func (f *fixture) refused(t *testing.T, token string) {
	t.Helper()
	_, err := f.svc.Authenticate(context.Background(), token)
	if !errors.Is(err, sessions.ErrInvalidToken) {
		t.Fatalf("authenticate = %v, want invalid token", err)
	}
}

func (f *fixture) stored(t *testing.T, id uuid.UUID) *sessions.Session {
	t.Helper()
	s, err := f.store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
