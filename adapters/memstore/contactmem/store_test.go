package contactmem_test

import (
	"testing"

	"github.com/secuird/authy/adapters/memstore/contactmem"
	"github.com/secuird/authy/ports/contactport"
	"github.com/secuird/authy/ports/contactport/contactporttest"
)

func TestStore_MeetsTheContract(t *testing.T) {
	contactporttest.StoreContract(t, func(*testing.T) contactport.Store { return contactmem.NewStore() })
}
