package identityredis_test

import (
	"context"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/secuird/authy/adapters/redisstore/identityredis"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/identityport/identityporttest"
)

func TestProfileCache_KeepsTheProfileCacheContractOnMiniredis(t *testing.T) {
	identityporttest.RunProfileCache(t, func(t *testing.T) identityporttest.ProfileCacheFixture {
		mr := miniredis.RunT(t)
		rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
		t.Cleanup(func() { _ = rdb.Close() })
		return identityporttest.ProfileCacheFixture{
			Cache:   identityredis.NewProfileCache(rdb, "contract:", time.Minute),
			Advance: mr.FastForward,
		}
	})
}

func TestProfileCache_AnUnreachableRedisIsAnErrorNotAMiss(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { _ = rdb.Close() })
	c := identityredis.NewProfileCache(rdb, "down:", time.Minute)
	mr.Close()
	ctx := context.Background()
	id := shared.UserID(uuid.New())
	now := time.Now()
	if _, _, err := c.Get(ctx, id, now); err == nil {
		t.Fatal("Get on a closed Redis must fail")
	}
	if err := c.Fill(ctx, identityport.UserView{ID: id}, now); err == nil {
		t.Fatal("Fill on a closed Redis must fail")
	}
	if err := c.Invalidate(ctx, id, now); err == nil {
		t.Fatal("Invalidate on a closed Redis must fail")
	}
}

func TestProfileCache_AnEntryInAnotherFormatIsAnsweredFromTheDatabaseWithoutFilling(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	c := identityredis.NewProfileCache(rdb, "fmt:", time.Minute)
	id := shared.UserID(uuid.New())
	for _, raw := range []string{"v0|1|2|3|abc", "v1|1|2|1|abc", "v2|1|2|-|9|abc", "v2|x|2|-|1|abc", "v2|1|2|x|1|abc", "garbage"} {
		if err := mr.Set("fmt:profile:"+id.String(), raw); err != nil {
			t.Fatal(err)
		}
		if _, l, err := c.Get(context.Background(), id, time.Now()); err != nil || l != identityport.ProfileChanging {
			t.Fatalf("Get of %q = %d, %v; want ProfileChanging", raw, l, err)
		}
	}
}

func TestProfileCache_KeysLiveForTheTTL(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	c := identityredis.NewProfileCache(rdb, "ttl:", 90*time.Second)
	ctx := context.Background()
	a, b := shared.UserID(uuid.New()), shared.UserID(uuid.New())
	if err := c.Fill(ctx, identityport.UserView{ID: a, Email: "a@example.test"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := c.Invalidate(ctx, b, time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, id := range []shared.UserID{a, b} {
		if ttl := mr.TTL("ttl:profile:" + id.String()); ttl != 90*time.Second {
			t.Fatalf("TTL of %s = %v, want 90s", id, ttl)
		}
	}
}
