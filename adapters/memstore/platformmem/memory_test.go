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
