package sessionsapp

import (
	"context"
	"time"

	"github.com/secuird/authy/domain/sessions"
)

// purgeBatch is how many outbox rows one reconciliation step applies.
const purgeBatch = 500

// Reconcile applies every purge still in the outbox to the cache, deletes
// them from the outbox, pings the cache, and then trusts the cache again —
// unless a cache failure happened while it ran. It returns the first error;
// a cache failure leaves the cache suspect, a store failure leaves its
// trust unchanged (nothing can be revoked while the store does not answer).
func (s *Service) Reconcile(ctx context.Context) error {
	_, gen := s.trust.state()
	now := s.now()
	for {
		ps, err := s.store.PendingPurges(ctx, purgeBatch)
		if err != nil {
			// A store that does not answer commits no revocation either,
			// so the cache's trust is left as it is.
			return err
		}
		if len(ps) == 0 {
			break
		}
		if err := s.cache.Purge(ctx, ps, now); err != nil {
			s.trust.fail()
			return err
		}
		hs := make([]sessions.TokenHash, len(ps))
		for i, p := range ps {
			hs[i] = p.Hash
		}
		if err := s.store.DeletePurges(ctx, hs); err != nil {
			return err
		}
		if len(ps) < purgeBatch {
			break
		}
	}
	if err := s.cache.Ping(ctx); err != nil {
		s.trust.fail()
		return err
	}
	if s.trust.restore(gen) {
		s.log.InfoContext(ctx, "session cache trusted again")
	}
	return nil
}

// RunReconciler calls Reconcile every interval until ctx ends. It never
// returns an error: a failed round keeps the cache suspect and is retried.
func (s *Service) RunReconciler(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		_ = s.Reconcile(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
