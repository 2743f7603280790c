package platformredis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Options sizes the Redis client.
type Options struct {
	URL          string
	PoolSize     int
	DialTimeout  time.Duration
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
}

// Open parses a redis:// or rediss:// URL and returns a client. It does not
// fail when Redis is down: callers degrade (sessions fall back to the
// database) and the client reconnects by itself when Redis returns.
func Open(o Options) (*redis.Client, error) {
	opt, err := redis.ParseURL(o.URL)
	if err != nil {
		return nil, fmt.Errorf("parse REDIS_URL: %w", err)
	}
	if o.PoolSize > 0 {
		opt.PoolSize = o.PoolSize
	}
	// Short timeouts: a Redis that hangs must cost a request milliseconds,
	// not seconds, before the database fallback takes over.
	opt.DialTimeout = orDefault(o.DialTimeout, 500*time.Millisecond)
	opt.ReadTimeout = orDefault(o.ReadTimeout, 300*time.Millisecond)
	opt.WriteTimeout = orDefault(o.WriteTimeout, 300*time.Millisecond)
	opt.MaxRetries = 1
	return redis.NewClient(opt), nil
}

// Ping reports whether Redis answers.
func Ping(ctx context.Context, rdb redis.UniversalClient) error {
	return rdb.Ping(ctx).Err()
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func randomSuffix() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
