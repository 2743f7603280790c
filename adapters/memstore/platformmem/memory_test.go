package platformmem_test

import (
	"testing"

	"github.com/secuird/authy/adapters/memstore/platformmem"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/platformport/platformporttest"
)

func TestRecentSet_Contract(t *testing.T) {
	platformporttest.RecentSetContract(t, func(t *testing.T) platformport.RecentSet {
		return platformmem.NewRecentSet(platformport.SystemClock)
	})
}

func TestTally_Contract(t *testing.T) {
	platformporttest.TallyContract(t, func(t *testing.T) platformport.Tally {
		return platformmem.NewTally(platformport.SystemClock)
	})
}

func TestAttemptGate_Contract(t *testing.T) {
	platformporttest.AttemptGateContract(t, func(t *testing.T) platformporttest.GateStores {
		l := platformmem.NewRateLimiter(platformport.SystemClock)
		r := platformmem.NewRecentSet(platformport.SystemClock)
		tl := platformmem.NewTally(platformport.SystemClock)
		return platformporttest.GateStores{Gate: platformmem.NewGate(l, r, tl), Limiter: l, Recent: r, Tally: tl}
	})
}
