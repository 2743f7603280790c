package platformmem_test

import (
	"testing"

	"github.com/secuird/authy/adapters/memstore/platformmem"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/platformport/platformporttest"
)

func TestRateLimiter_Contract(t *testing.T) {
	platformporttest.RateLimiterContract(t, func(t *testing.T) platformport.RateLimiter {
		return platformmem.NewRateLimiter(platformport.SystemClock)
	})
}
