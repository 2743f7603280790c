// Package platformredis implements platformport on Redis: the rate limiter
// shared by every server instance, and the Redis connection with its health
// probe. It imports ports and go-redis only.
package platformredis

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/secuird/authy/ports/platformport"
)

// slidingLog is an exact sliding-window limiter: a sorted set of admitted
// event times per key. It reads Redis' own clock so that instances with
// skewed clocks still agree, and runs atomically so concurrent callers on any
// instance never exceed the limit. A sliding log (rather than GCRA) is used
// because the contract is "at most N in any window", which GCRA's smoothing
// does not give for small N and long windows (5 per hour).
//
// KEYS[1] key; ARGV[1] window (µs); ARGV[2] max; ARGV[3] take (1/0); ARGV[4] member suffix.
// Returns {allowed, remaining, retry_after_µs}.
var slidingLog = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[1])
local max = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count >= max then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  local retry = tonumber(oldest[2]) + window - now
  if retry < 1000 then retry = 1000 end
  return {0, 0, retry}
end
if ARGV[3] == '1' then
  redis.call('ZADD', KEYS[1], now, now .. '-' .. ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000) + 1000)
  count = count + 1
end
return {1, max - count, 0}
`)

// RateLimiter is the Redis-backed platformport.RateLimiter.
type RateLimiter struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewRateLimiter returns a limiter storing keys under prefix+"rl:".
func NewRateLimiter(rdb redis.UniversalClient, prefix string) *RateLimiter {
	return &RateLimiter{rdb: rdb, prefix: prefix + "rl:"}
}

// Take implements platformport.RateLimiter.
func (r *RateLimiter) Take(ctx context.Context, key string, limit platformport.Limit) (platformport.Decision, error) {
	return r.run(ctx, key, limit, true)
}

// Peek implements platformport.RateLimiter.
func (r *RateLimiter) Peek(ctx context.Context, key string, limit platformport.Limit) (platformport.Decision, error) {
	return r.run(ctx, key, limit, false)
}

// Reset implements platformport.RateLimiter.
func (r *RateLimiter) Reset(ctx context.Context, key string) error {
	if err := r.rdb.Del(ctx, r.prefix+key).Err(); err != nil {
		return fmt.Errorf("rate limiter reset: %w", err)
	}
	return nil
}

func (r *RateLimiter) run(ctx context.Context, key string, limit platformport.Limit, take bool) (platformport.Decision, error) {
	takeArg := "0"
	if take {
		takeArg = "1"
	}
	res, err := slidingLog.Run(ctx, r.rdb, []string{r.prefix + key},
		limit.Window.Microseconds(), limit.Max, takeArg, randomSuffix()).Int64Slice()
	if err != nil {
		return platformport.Decision{}, fmt.Errorf("rate limiter: %w", err)
	}
	return platformport.Decision{
		Allowed:    res[0] == 1,
		Remaining:  int(res[1]),
		RetryAfter: time.Duration(res[2]) * time.Microsecond,
	}, nil
}
