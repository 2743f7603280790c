//go:build integration

package platformredis_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/secuird/authy/adapters/redisstore/platformredis"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/platformport/platformporttest"
	"github.com/secuird/authy/tests/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

func TestRateLimiter_Contract(t *testing.T) {
	rdb, err := platformredis.Open(platformredis.Options{URL: testenv.RedisURL(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	prefix := testenv.RedisPrefix(t)
	platformporttest.RateLimiterContract(t, func(t *testing.T) platformport.RateLimiter {
		return platformredis.NewRateLimiter(rdb, prefix)
	})
}

func TestRateLimiter_TwoInstancesShareOneBudget(t *testing.T) {
	url, prefix := testenv.RedisURL(t), testenv.RedisPrefix(t)
	a, _ := platformredis.Open(platformredis.Options{URL: url})
	b, _ := platformredis.Open(platformredis.Options{URL: url})
	t.Cleanup(func() { a.Close(); b.Close() })
	la, lb := platformredis.NewRateLimiter(a, prefix), platformredis.NewRateLimiter(b, prefix)
	ctx := context.Background()
	limit := platformport.Limit{Max: 5, Window: time.Hour}
	for i := 0; i < 5; i++ {
		l := la
		if i%2 == 1 {
			l = lb
		}
		if d, err := l.Take(ctx, "shared", limit); err != nil || !d.Allowed {
			t.Fatalf("take %d: %+v %v", i, d, err)
		}
	}
	d, err := lb.Take(ctx, "shared", limit)
	if err != nil || d.Allowed || d.RetryAfter < 59*time.Minute {
		t.Fatalf("6th take on the other instance must be refused for ~1h: %+v %v", d, err)
	}
}

func TestRateLimiter_ReportsAnErrorWhenRedisIsDown(t *testing.T) {
	rdb, _ := platformredis.Open(platformredis.Options{URL: "redis://127.0.0.1:1/0"})
	t.Cleanup(func() { rdb.Close() })
	l := platformredis.NewRateLimiter(rdb, "x:")
	if _, err := l.Take(context.Background(), "k", platformport.Limit{Max: 1, Window: time.Second}); err == nil {
		t.Fatal("a limiter without Redis must say so, not admit silently")
	}
}
