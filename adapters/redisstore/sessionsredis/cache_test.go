package sessionsredis_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/secuird/authy/adapters/redisstore/sessionsredis"
	"github.com/secuird/authy/domain/sessions"
	"github.com/secuird/authy/ports/sessionsport"
	"github.com/secuird/authy/ports/sessionsport/sessionsporttest"
)

func TestCache_MeetsTheCacheContractOnMiniredis(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	n := 0
	sessionsporttest.CacheContract(t, func(*testing.T) sessionsport.Cache {
		n++
		return sessionsredis.New(rdb, "contract:"+string(rune('a'+n))+":")
	}, time.Now())
}

func TestCache_AnUnreachableRedisIsAnErrorNotAMiss(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { _ = rdb.Close() })
	c := sessionsredis.New(rdb, "down:")
	mr.Close()
	ctx := context.Background()
	h := sessionsporttest.RandomHash(t)
	if _, _, err := c.Get(ctx, h); err == nil {
		t.Fatal("Get on a closed Redis must fail")
	}
	if err := c.Purge(ctx, []sessionsport.Purge{{Hash: h, Until: time.Now().Add(time.Hour)}}, time.Now()); err == nil {
		t.Fatal("Purge on a closed Redis must fail")
	}
	if err := c.Ping(ctx); err == nil {
		t.Fatal("Ping on a closed Redis must fail")
	}
}

func TestCache_TombstonesLastUntilTheAbsoluteExpiryAndEntriesUntilTheIdleOne(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	c := sessionsredis.New(rdb, "ttl:")
	ctx := context.Background()
	now := time.Now().UTC()
	h := sessionsporttest.RandomHash(t)
	e := sessionsport.CachedSession{Hash: h, ExpiresAt: now.Add(15 * time.Minute), AbsoluteExpiresAt: now.Add(8 * time.Hour)}
	if err := c.Put(ctx, e, now); err != nil {
		t.Fatal(err)
	}
	if ttl := mr.TTL("ttl:sess:" + h.String()); ttl <= 14*time.Minute || ttl > 15*time.Minute {
		t.Fatalf("entry ttl %s", ttl)
	}
	if err := c.Purge(ctx, []sessionsport.Purge{{Hash: h, Until: e.AbsoluteExpiresAt}}, now); err != nil {
		t.Fatal(err)
	}
	if ttl := mr.TTL("ttl:sess:rev:" + h.String()); ttl < 8*time.Hour {
		t.Fatalf("tombstone ttl %s", ttl)
	}
	mr.FastForward(15*time.Minute + time.Second)
	if _, state, _ := c.Get(ctx, h); state != sessionsport.CacheRevoked {
		t.Fatalf("state %v", state)
	}
}

func TestCache_ReadsAnEntryWrittenBeforeMethodsAsAPasswordSignInAtCreation(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	c := sessionsredis.New(rdb, "v1:")
	now := time.Now().UTC().Truncate(time.Microsecond)
	h := sessionsporttest.RandomHash(t)
	id, user := uuid.New(), uuid.New()
	created := now.Add(-time.Hour)
	old := fmt.Sprintf("v1|%s|%s|%d|%d|%d|%d|%d", id, user, created.UnixMicro(), now.UnixMicro(),
		now.Add(15*time.Minute).UnixMicro(), created.Add(8*time.Hour).UnixMicro(), now.UnixMicro())
	if err := mr.Set("v1:sess:"+h.String(), old); err != nil {
		t.Fatal(err)
	}
	e, state, err := c.Get(context.Background(), h)
	if err != nil || state != sessionsport.CacheHit {
		t.Fatalf("Get = %v, %v", state, err)
	}
	if e.ID != id || e.Method != sessions.MethodPassword || !e.AuthTime.Equal(created) || !e.ExpiresAt.Equal(now.Add(15*time.Minute)) {
		t.Fatalf("v1 entry read as %+v", e)
	}
}
