package sessionsredis_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/secuird/authy/adapters/redisstore/sessionsredis"
	"github.com/secuird/authy/domain/sessions"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/sessionsport"
	"github.com/secuird/authy/ports/sessionsport/sessionsporttest"
)

// commandLog records every command a client sends, pipelines included.
type commandLog struct {
	mu   sync.Mutex
	cmds [][]any
}

func (l *commandLog) DialHook(next redis.DialHook) redis.DialHook { return next }

func (l *commandLog) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		l.mu.Lock()
		l.cmds = append(l.cmds, cmd.Args())
		l.mu.Unlock()
		return next(ctx, cmd)
	}
}

func (l *commandLog) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		l.mu.Lock()
		for _, c := range cmds {
			l.cmds = append(l.cmds, c.Args())
		}
		l.mu.Unlock()
		return next(ctx, cmds)
	}
}

// take returns the commands sent since the last take.
func (l *commandLog) take() [][]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.cmds
	l.cmds = nil
	return out
}

type readAheadRig struct {
	mr    *miniredis.Miniredis
	rdb   *redis.Client
	log   *commandLog
	cache *sessionsredis.Cache
	now   time.Time
}

func profileKey(u shared.UserID) string { return "ra:profile:" + uuid.UUID(u).String() }

func newReadAheadRig(t *testing.T) *readAheadRig {
	t.Helper()
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	log := &commandLog{}
	rdb.AddHook(log)
	return &readAheadRig{mr: mr, rdb: rdb, log: log, cache: sessionsredis.New(rdb, "ra:", profileKey), now: time.Now().UTC()}
}

func (r *readAheadRig) entry(t *testing.T) sessionsport.CachedSession {
	t.Helper()
	return sessionsport.CachedSession{
		ID: uuid.New(), User: shared.UserID(uuid.New()), Hash: sessionsporttest.RandomHash(t),
		Method: sessions.MethodPassword, AuthTime: r.now, CreatedAt: r.now, LastSeenAt: r.now,
		ExpiresAt: r.now.Add(15 * time.Minute), AbsoluteExpiresAt: r.now.Add(8 * time.Hour), SyncedAt: r.now,
	}
}

func (r *readAheadRig) get(t *testing.T, c *sessionsredis.Cache, h sessions.TokenHash) (*sessionsport.ReadAhead, sessionsport.CacheState) {
	t.Helper()
	ctx := sessionsport.WithReadAhead(context.Background())
	_, state, err := c.Get(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	return sessionsport.ReadAheadFrom(ctx), state
}

// oneMGet checks that exactly one command was sent since the last check,
// an MGET of n keys.
func (r *readAheadRig) oneMGet(t *testing.T, n int) {
	t.Helper()
	cmds := r.log.take()
	if len(cmds) != 1 || cmds[0][0] != "mget" || len(cmds[0]) != 1+n {
		t.Fatalf("commands %v, want one MGET of %d keys", cmds, n)
	}
}

func TestCache_ReadsTheUsersKeysAheadInTheSessionsOwnRoundTrip(t *testing.T) {
	r := newReadAheadRig(t)
	e := r.entry(t)
	if err := r.mr.Set(profileKey(e.User), "the profile view"); err != nil {
		t.Fatal(err)
	}
	if err := r.cache.Put(context.Background(), e, r.now); err != nil {
		t.Fatal(err)
	}
	r.log.take()
	ahead, state := r.get(t, r.cache, e.Hash)
	if state != sessionsport.CacheHit {
		t.Fatalf("state %v", state)
	}
	r.oneMGet(t, 2)
	v, found, ok := ahead.Take(profileKey(e.User))
	if !ok || !found || v != "the profile view" {
		t.Fatalf("read ahead %q, %v, %v", v, found, ok)
	}
	if _, _, ok := ahead.Take(profileKey(e.User)); ok {
		t.Fatal("a value read ahead serves one lookup only")
	}
}

func TestCache_RecordsAKeyItFoundEmptyAsAMiss(t *testing.T) {
	r := newReadAheadRig(t)
	e := r.entry(t)
	if err := r.cache.Put(context.Background(), e, r.now); err != nil {
		t.Fatal(err)
	}
	ahead, _ := r.get(t, r.cache, e.Hash)
	if v, found, ok := ahead.Take(profileKey(e.User)); !ok || found || v != "" {
		t.Fatalf("read ahead %q, %v, %v; want a recorded miss", v, found, ok)
	}
}

func TestCache_LearnsATokensUserOnItsFirstReadAndReadsAheadFromTheNext(t *testing.T) {
	r := newReadAheadRig(t)
	e := r.entry(t)
	if err := r.cache.Put(context.Background(), e, r.now); err != nil {
		t.Fatal(err)
	}
	if err := r.mr.Set(profileKey(e.User), "view"); err != nil {
		t.Fatal(err)
	}
	other := sessionsredis.New(r.rdb, "ra:", profileKey) // another instance
	r.log.take()
	ahead, state := r.get(t, other, e.Hash)
	if state != sessionsport.CacheHit {
		t.Fatalf("state %v", state)
	}
	r.oneMGet(t, 1)
	if _, _, ok := ahead.Take(profileKey(e.User)); ok {
		t.Fatal("nothing can be read ahead before the token's user is known")
	}
	ahead, _ = r.get(t, other, e.Hash)
	r.oneMGet(t, 2)
	if v, found, _ := ahead.Take(profileKey(e.User)); !found || v != "view" {
		t.Fatalf("second read: %q, %v", v, found)
	}
}

func TestCache_HandsNothingOverForARevokedOrUnknownToken(t *testing.T) {
	r := newReadAheadRig(t)
	ctx := context.Background()
	revoked := r.entry(t)
	if err := r.mr.Set(profileKey(revoked.User), "view"); err != nil {
		t.Fatal(err)
	}
	if err := r.cache.Put(ctx, revoked, r.now); err != nil {
		t.Fatal(err)
	}
	if err := r.cache.Purge(ctx, []sessionsport.Purge{{Hash: revoked.Hash, Until: revoked.AbsoluteExpiresAt}}, r.now); err != nil {
		t.Fatal(err)
	}
	// A request that read the database before the revocation committed
	// writes the entry back: the tombstone still wins, and hands nothing over.
	if err := r.cache.Put(ctx, revoked, r.now); err != nil {
		t.Fatal(err)
	}
	ahead, state := r.get(t, r.cache, revoked.Hash)
	if state != sessionsport.CacheRevoked {
		t.Fatalf("state %v, want revoked", state)
	}
	if _, _, ok := ahead.Take(profileKey(revoked.User)); ok {
		t.Fatal("a revoked session's user data was handed over")
	}

	expired := r.entry(t)
	if err := r.cache.Put(ctx, expired, r.now); err != nil {
		t.Fatal(err)
	}
	r.mr.Del("ra:sess:" + expired.Hash.String())
	if err := r.cache.MarkUnknown(ctx, expired.Hash, r.now.Add(5*time.Second), r.now); err != nil {
		t.Fatal(err)
	}
	ahead, state = r.get(t, r.cache, expired.Hash)
	if state != sessionsport.CacheUnknown {
		t.Fatalf("state %v, want unknown", state)
	}
	if _, _, ok := ahead.Take(profileKey(expired.User)); ok {
		t.Fatal("an unknown token's user data was handed over")
	}
}

func TestCache_ReadsNoMoreThanTheSessionWithoutAReadAheadInTheContext(t *testing.T) {
	r := newReadAheadRig(t)
	e := r.entry(t)
	if err := r.cache.Put(context.Background(), e, r.now); err != nil {
		t.Fatal(err)
	}
	r.log.take()
	if _, state, err := r.cache.Get(context.Background(), e.Hash); err != nil || state != sessionsport.CacheHit {
		t.Fatalf("Get = %v, %v", state, err)
	}
	r.oneMGet(t, 1)
}

// aheadCache reads every entry with a ReadAhead in the context.
type aheadCache struct{ *sessionsredis.Cache }

func (a aheadCache) Get(ctx context.Context, h sessions.TokenHash) (sessionsport.CachedSession, sessionsport.CacheState, error) {
	return a.Cache.Get(sessionsport.WithReadAhead(ctx), h)
}

func TestCache_ReadingAheadStillMeetsTheCacheContract(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	n := 0
	sessionsporttest.CacheContract(t, func(*testing.T) sessionsport.Cache {
		n++
		return aheadCache{sessionsredis.New(rdb, "contract-ra:"+string(rune('a'+n))+":", profileKey)}
	}, time.Now())
}
