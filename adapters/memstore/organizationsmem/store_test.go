package organizationsmem_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/memstore/organizationsmem"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/organizationsport/organizationsporttest"
)

func TestStore_Contract(t *testing.T) {
	organizationsporttest.RepositoryContract(t, func(t *testing.T) organizationsporttest.Harness {
		s := organizationsmem.New()
		return organizationsporttest.Harness{
			Repo:    s,
			UoW:     s,
			NewUser: func(*testing.T) shared.UserID { return shared.UserID(uuid.New()) },
		}
	})
}
