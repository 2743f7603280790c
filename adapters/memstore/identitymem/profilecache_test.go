package identitymem_test

import (
	"testing"
	"time"

	"github.com/secuird/authy/adapters/memstore/identitymem"
	"github.com/secuird/authy/ports/identityport/identityporttest"
)

func TestProfileCache_KeepsTheProfileCacheContract(t *testing.T) {
	identityporttest.RunProfileCache(t, func(*testing.T) identityporttest.ProfileCacheFixture {
		return identityporttest.ProfileCacheFixture{Cache: identitymem.NewProfileCache(time.Minute)}
	})
}
