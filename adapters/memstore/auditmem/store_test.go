package auditmem_test

import (
	"context"
	"sync"
	"testing"

	"github.com/secuird/authy/adapters/memstore/auditmem"
	"github.com/secuird/authy/ports/auditport/auditporttest"
)

func TestStore_Contract(t *testing.T) {
	auditporttest.Run(t, func(t *testing.T) auditporttest.Harness {
		s := auditmem.New()
		// The "other context's change" is a set that only takes a key once
		// the store's transaction commits, as a sibling in-memory repository
		// sharing the unit of work would.
		var mu sync.Mutex
		changed := map[string]bool{}
		return auditporttest.Harness{
			Store: s,
			UoW:   s,
			Change: func(ctx context.Context, key string) error {
				s.AfterCommit(ctx, func(context.Context) {
					mu.Lock()
					changed[key] = true
					mu.Unlock()
				})
				return nil
			},
			Changed: func(_ context.Context, key string) (bool, error) {
				mu.Lock()
				defer mu.Unlock()
				return changed[key], nil
			},
		}
	})
}
