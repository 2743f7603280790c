package identityredis_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/secuird/authy/adapters/redisstore/identityredis"
	"github.com/secuird/authy/adapters/redisstore/sessionsredis"
	"github.com/secuird/authy/domain/sessions"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/sessionsport"
)

// commandCount counts the commands a client sends.
type commandCount struct {
	mu sync.Mutex
	n  int
}

func (c *commandCount) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *commandCount) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.mu.Lock()
		c.n++
		c.mu.Unlock()
		return next(ctx, cmd)
	}
}

func (c *commandCount) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.mu.Lock()
		c.n += len(cmds)
		c.mu.Unlock()
		return next(ctx, cmds)
	}
}

func (c *commandCount) take() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = 0
	return n
}

type sharedRedis struct {
	mr       *miniredis.Miniredis
	count    *commandCount
	profiles *identityredis.ProfileCache
	sessions *sessionsredis.Cache
	user     shared.UserID
	hash     sessions.TokenHash
	view     identityport.UserView
	now      time.Time
}

// newSharedRedis caches a session of a user and the user's view, as a
// login and a first /auth/me leave them.
func newSharedRedis(t *testing.T) *sharedRedis {
	t.Helper()
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	r := &sharedRedis{mr: mr, count: &commandCount{}, now: time.Now().UTC().Truncate(time.Microsecond), user: shared.UserID(uuid.New())}
	rdb.AddHook(r.count)
	r.profiles = identityredis.NewProfileCache(rdb, "ra:", time.Minute)
	r.sessions = sessionsredis.New(rdb, "ra:", r.profiles.Key)
	h, err := sessions.NewTokenHash([]byte(uuid.NewString()[:32]))
	if err != nil {
		t.Fatal(err)
	}
	r.hash = h
	r.view = identityport.UserView{ID: r.user, Email: "ahead@example.com", Name: "Read Ahead", CreatedAt: r.now, UpdatedAt: r.now}
	ctx := context.Background()
	if err := r.sessions.Put(ctx, sessionsport.CachedSession{
		ID: uuid.New(), User: r.user, Hash: h, Method: sessions.MethodPassword, AuthTime: r.now, CreatedAt: r.now,
		LastSeenAt: r.now, ExpiresAt: r.now.Add(15 * time.Minute), AbsoluteExpiresAt: r.now.Add(8 * time.Hour), SyncedAt: r.now,
	}, r.now); err != nil {
		t.Fatal(err)
	}
	if err := r.profiles.Fill(ctx, r.view, r.now); err != nil {
		t.Fatal(err)
	}
	r.count.take()
	return r
}

// authenticated reads the session as a request does, and returns its
// context.
func (r *sharedRedis) authenticated(t *testing.T) context.Context {
	t.Helper()
	ctx := sessionsport.WithReadAhead(context.Background())
	if _, state, err := r.sessions.Get(ctx, r.hash); err != nil || state != sessionsport.CacheHit {
		t.Fatalf("session Get = %v, %v", state, err)
	}
	return ctx
}

func TestProfileCache_AnswersFromTheViewReadWithTheSessionInTheSameRoundTrip(t *testing.T) {
	r := newSharedRedis(t)
	ctx := r.authenticated(t)
	v, l, err := r.profiles.Get(ctx, r.user, r.now)
	if err != nil || l != identityport.ProfileHit || v != r.view {
		t.Fatalf("Get = %+v, %v, %v", v, l, err)
	}
	if n := r.count.take(); n != 1 {
		t.Fatalf("%d commands for the session and the view, want one", n)
	}
	if _, l, _ := r.profiles.Get(ctx, r.user, r.now); l != identityport.ProfileHit {
		t.Fatalf("second Get: %v", l)
	}
	if n := r.count.take(); n != 1 {
		t.Fatalf("%d commands for a second read of the view, want its own GET", n)
	}
}

func TestProfileCache_AHoldReadWithTheSessionAnswersChanging(t *testing.T) {
	r := newSharedRedis(t)
	if err := r.profiles.Invalidate(context.Background(), r.user, r.now); err != nil {
		t.Fatal(err)
	}
	ctx := r.authenticated(t)
	if _, l, err := r.profiles.Get(ctx, r.user, r.now); err != nil || l != identityport.ProfileChanging {
		t.Fatalf("Get = %v, %v; want changing", l, err)
	}
}

func TestProfileCache_AViewMissingWhenTheSessionWasReadIsAMissWithoutAnotherRoundTrip(t *testing.T) {
	r := newSharedRedis(t)
	r.mr.Del("ra:profile:" + uuid.UUID(r.user).String())
	ctx := r.authenticated(t)
	r.count.take()
	if _, l, err := r.profiles.Get(ctx, r.user, r.now); err != nil || l != identityport.ProfileMiss {
		t.Fatalf("Get = %v, %v; want a miss", l, err)
	}
	if n := r.count.take(); n != 0 {
		t.Fatalf("%d commands, want none: the miss was read with the session", n)
	}
}

func TestProfileCache_InvalidateForgetsTheViewReadWithTheSession(t *testing.T) {
	r := newSharedRedis(t)
	ctx := r.authenticated(t)
	if err := r.profiles.Invalidate(ctx, r.user, r.now); err != nil {
		t.Fatal(err)
	}
	if _, l, err := r.profiles.Get(ctx, r.user, r.now); err != nil || l != identityport.ProfileChanging {
		t.Fatalf("Get after the request's own change = %v, %v; want changing, not the view read before", l, err)
	}
}
