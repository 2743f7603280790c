// Package platformporttest holds the executable contract of platformport's
// outbound ports. Every adapter's tests call these suites, so the in-process
// and Redis implementations are held to the same behaviour.
package platformporttest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/secuird/authy/ports/platformport"
)

// RateLimiterContract checks a RateLimiter. newLimiter returns a fresh
// limiter; keys are made unique per run so shared backends stay isolated.
func RateLimiterContract(t *testing.T, newLimiter func(t *testing.T) platformport.RateLimiter) {
	t.Helper()
	ctx := context.Background()
	unique := fmt.Sprintf("%d", time.Now().UnixNano())

	t.Run("admits up to the limit then refuses with a retry delay", func(t *testing.T) {
		l := newLimiter(t)
		key := "contract:max:" + unique
		limit := platformport.Limit{Max: 3, Window: time.Minute}
		for i := 0; i < 3; i++ {
			d, err := l.Take(ctx, key, limit)
			if err != nil || !d.Allowed {
				t.Fatalf("take %d: allowed=%v err=%v", i, d.Allowed, err)
			}
			if d.Remaining != 2-i {
				t.Fatalf("take %d: remaining=%d", i, d.Remaining)
			}
		}
		d, err := l.Take(ctx, key, limit)
		if err != nil || d.Allowed {
			t.Fatalf("4th take must be refused: %+v %v", d, err)
		}
		if d.RetryAfter <= 0 || d.RetryAfter > time.Minute {
			t.Fatalf("retry after = %v", d.RetryAfter)
		}
		p, err := l.Peek(ctx, key, limit)
		if err != nil || p.Allowed {
			t.Fatalf("peek must agree with take: %+v %v", p, err)
		}
	})

	t.Run("keys are independent and reset forgets a key", func(t *testing.T) {
		l := newLimiter(t)
		a, b := "contract:a:"+unique, "contract:b:"+unique
		limit := platformport.Limit{Max: 1, Window: time.Minute}
		if d, _ := l.Take(ctx, a, limit); !d.Allowed {
			t.Fatal("first take on a refused")
		}
		if d, _ := l.Take(ctx, b, limit); !d.Allowed {
			t.Fatal("key b must not share a's budget")
		}
		if d, _ := l.Take(ctx, a, limit); d.Allowed {
			t.Fatal("second take on a admitted")
		}
		if err := l.Reset(ctx, a); err != nil {
			t.Fatal(err)
		}
		if d, _ := l.Take(ctx, a, limit); !d.Allowed {
			t.Fatal("reset did not forget a")
		}
	})

	t.Run("peek does not count", func(t *testing.T) {
		l := newLimiter(t)
		key := "contract:peek:" + unique
		limit := platformport.Limit{Max: 1, Window: time.Minute}
		for i := 0; i < 5; i++ {
			if d, err := l.Peek(ctx, key, limit); err != nil || !d.Allowed || d.Remaining != 1 {
				t.Fatalf("peek %d: %+v %v", i, d, err)
			}
		}
		if d, _ := l.Take(ctx, key, limit); !d.Allowed {
			t.Fatal("peeks consumed the budget")
		}
	})

	t.Run("the window slides", func(t *testing.T) {
		l := newLimiter(t)
		key := "contract:slide:" + unique
		limit := platformport.Limit{Max: 2, Window: 300 * time.Millisecond}
		for i := 0; i < 2; i++ {
			if d, _ := l.Take(ctx, key, limit); !d.Allowed {
				t.Fatalf("take %d refused", i)
			}
		}
		if d, _ := l.Take(ctx, key, limit); d.Allowed {
			t.Fatal("third take inside the window admitted")
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			d, err := l.Take(ctx, key, limit)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("the window never slid")
			}
			time.Sleep(20 * time.Millisecond) // polling interval, not a wait for an event
		}
	})

	t.Run("concurrent takes never exceed the limit", func(t *testing.T) {
		l := newLimiter(t)
		key := "contract:race:" + unique
		limit := platformport.Limit{Max: 10, Window: time.Minute}
		var admitted atomic.Int64
		var wg sync.WaitGroup
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if d, err := l.Take(ctx, key, limit); err == nil && d.Allowed {
					admitted.Add(1)
				}
			}()
		}
		wg.Wait()
		if admitted.Load() != 10 {
			t.Fatalf("admitted %d of 50, want exactly 10", admitted.Load())
		}
	})
}
