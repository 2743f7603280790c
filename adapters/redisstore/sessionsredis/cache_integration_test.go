//go:build integration

package sessionsredis_test

import (
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/secuird/authy/adapters/redisstore/sessionsredis"
	"github.com/secuird/authy/ports/sessionsport"
	"github.com/secuird/authy/ports/sessionsport/sessionsporttest"
	"github.com/secuird/authy/tests/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

func TestCache_MeetsTheCacheContractOnRedis(t *testing.T) {
	opt, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { _ = rdb.Close() })
	sessionsporttest.CacheContract(t, func(t *testing.T) sessionsport.Cache {
		return sessionsredis.New(rdb, testenv.RedisPrefix(t))
	}, time.Now())
}
