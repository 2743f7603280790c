package identitymem_test

import (
	"testing"

	"github.com/secuird/authy/adapters/memstore/identitymem"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/identityport/identityporttest"
)

func TestStore_KeepsTheUserRepositoryContract(t *testing.T) {
	identityporttest.RunUserRepository(t, func(t *testing.T) (identityport.UserRepository, identityport.UnitOfWork) {
		s := identitymem.New()
		return s, s
	})
}

func TestStore_KeepsTheTokenRepositoryContract(t *testing.T) {
	identityporttest.RunTokenRepository(t, func(t *testing.T) (identityport.UserRepository, identityport.TokenRepository, identityport.UnitOfWork) {
		s := identitymem.New()
		return s, s.Tokens(), s
	})
}
