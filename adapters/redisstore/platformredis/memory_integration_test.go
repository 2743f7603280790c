//go:build integration

package platformredis_test

import (
	"testing"

	"github.com/secuird/authy/adapters/redisstore/platformredis"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/platformport/platformporttest"
	"github.com/secuird/authy/tests/testenv"
)

func TestRecentSet_Contract(t *testing.T) {
	rdb, err := platformredis.Open(platformredis.Options{URL: testenv.RedisURL(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	prefix := testenv.RedisPrefix(t)
	platformporttest.RecentSetContract(t, func(t *testing.T) platformport.RecentSet {
		return platformredis.NewRecentSet(rdb, prefix)
	})
}

func TestTally_Contract(t *testing.T) {
	rdb, err := platformredis.Open(platformredis.Options{URL: testenv.RedisURL(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	prefix := testenv.RedisPrefix(t)
	platformporttest.TallyContract(t, func(t *testing.T) platformport.Tally {
		return platformredis.NewTally(rdb, prefix)
	})
}

func TestAttemptGate_Contract(t *testing.T) {
	rdb, err := platformredis.Open(platformredis.Options{URL: testenv.RedisURL(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	prefix := testenv.RedisPrefix(t)
	platformporttest.AttemptGateContract(t, func(t *testing.T) platformporttest.GateStores {
		return platformporttest.GateStores{
			Gate: platformredis.NewGate(rdb, prefix), Limiter: platformredis.NewRateLimiter(rdb, prefix),
			Recent: platformredis.NewRecentSet(rdb, prefix), Tally: platformredis.NewTally(rdb, prefix),
		}
	})
}
