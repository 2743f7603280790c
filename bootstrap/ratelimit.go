package bootstrap

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/secuird/authy/ports/platformport"
)

// fallbackLimiter asks the shared (Redis) limiter and, when it cannot
// answer, the in-process one: while Redis is down each instance enforces the
// limits on its own traffic, so the server stays up and abuse is still
// bounded (per instance) instead of every limited endpoint failing.
type fallbackLimiter struct {
	shared, local platformport.RateLimiter
	log           *slog.Logger
	lastWarn      atomic.Int64
}

func (f *fallbackLimiter) Take(ctx context.Context, key string, l platformport.Limit) (platformport.Decision, error) {
	d, err := f.shared.Take(ctx, key, l)
	if err != nil {
		f.warn(err)
		return f.local.Take(ctx, key, l)
	}
	return d, nil
}

func (f *fallbackLimiter) Peek(ctx context.Context, key string, l platformport.Limit) (platformport.Decision, error) {
	d, err := f.shared.Peek(ctx, key, l)
	if err != nil {
		f.warn(err)
		return f.local.Peek(ctx, key, l)
	}
	return d, nil
}

func (f *fallbackLimiter) Reset(ctx context.Context, key string) error {
	lerr := f.local.Reset(ctx, key)
	if err := f.shared.Reset(ctx, key); err != nil {
		f.warn(err)
		return lerr
	}
	return lerr
}

// warn logs at most once every 10 seconds.
func (f *fallbackLimiter) warn(err error) {
	now := time.Now().Unix()
	last := f.lastWarn.Load()
	if now-last >= 10 && f.lastWarn.CompareAndSwap(last, now) {
		f.log.Warn("shared rate limiter unavailable; enforcing limits per instance", "error", err.Error())
	}
}
