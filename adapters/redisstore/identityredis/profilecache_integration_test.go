//go:build integration

package identityredis_test

import (
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/secuird/authy/adapters/redisstore/identityredis"
	"github.com/secuird/authy/ports/identityport/identityporttest"
	"github.com/secuird/authy/tests/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

func TestProfileCache_KeepsTheProfileCacheContractOnRedis(t *testing.T) {
	opt, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { _ = rdb.Close() })
	identityporttest.RunProfileCache(t, func(t *testing.T) identityporttest.ProfileCacheFixture {
		return identityporttest.ProfileCacheFixture{
			Cache:    identityredis.NewProfileCache(rdb, testenv.RedisPrefix(t), time.Minute),
			RealTime: true,
		}
	})
}
