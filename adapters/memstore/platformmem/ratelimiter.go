// Package platformmem implements platformport in process memory: the rate
// limiter of the embedded single-instance mode and of fast tests. It imports
// only ports and the standard library.
package platformmem

import (
	"context"
	"sync"
	"time"

	"github.com/secuird/authy/ports/platformport"
)

// RateLimiter is an in-process sliding-log limiter. It is exact (a log of
// admitted events per key, at most Limit.Max long) and forgets idle keys.
type RateLimiter struct {
	clock platformport.Clock
	mu    sync.Mutex
	logs  map[string]*eventLog
	ops   int
}

type eventLog struct {
	events []time.Time
	window time.Duration
}

// NewRateLimiter returns an empty limiter reading time from clock.
func NewRateLimiter(clock platformport.Clock) *RateLimiter {
	return &RateLimiter{clock: clock, logs: map[string]*eventLog{}}
}

// Take implements platformport.RateLimiter.
func (r *RateLimiter) Take(_ context.Context, key string, limit platformport.Limit) (platformport.Decision, error) {
	return r.decide(key, limit, true), nil
}

// Peek implements platformport.RateLimiter.
func (r *RateLimiter) Peek(_ context.Context, key string, limit platformport.Limit) (platformport.Decision, error) {
	return r.decide(key, limit, false), nil
}

// Reset implements platformport.RateLimiter.
func (r *RateLimiter) Reset(_ context.Context, key string) error {
	r.mu.Lock()
	delete(r.logs, key)
	r.mu.Unlock()
	return nil
}

func (r *RateLimiter) decide(key string, limit platformport.Limit, take bool) platformport.Decision {
	now := r.clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops++
	if r.ops%1024 == 0 {
		r.sweep(now)
	}
	var log []time.Time
	if l, ok := r.logs[key]; ok {
		log = trim(l.events, now.Add(-limit.Window))
	}
	if len(log) >= limit.Max {
		r.logs[key] = &eventLog{events: log, window: limit.Window}
		retry := log[0].Add(limit.Window).Sub(now)
		if retry <= 0 {
			retry = time.Millisecond
		}
		return platformport.Decision{Allowed: false, Remaining: 0, RetryAfter: retry}
	}
	if take {
		log = append(log, now)
	}
	if len(log) == 0 {
		delete(r.logs, key)
	} else {
		r.logs[key] = &eventLog{events: log, window: limit.Window}
	}
	return platformport.Decision{Allowed: true, Remaining: limit.Max - len(log)}
}

// sweep drops keys whose newest event has left its window, so a flood of
// distinct keys (IPs) cannot grow the map without bound.
func (r *RateLimiter) sweep(now time.Time) {
	for k, l := range r.logs {
		if len(l.events) == 0 || now.Sub(l.events[len(l.events)-1]) > l.window {
			delete(r.logs, k)
		}
	}
}

func trim(log []time.Time, since time.Time) []time.Time {
	i := 0
	for i < len(log) && !log[i].After(since) {
		i++
	}
	return log[i:]
}
