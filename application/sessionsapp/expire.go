package sessionsapp

import (
	"context"
	"fmt"

	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/platformport"
)

// ExpireStale marks up to batch sessions whose expiry passed more than the
// policy's SyncEvery ago as expired, in one short transaction with one
// sessions.expired audit record, and returns how many it marked. Their
// cache entries need no purge: a cached expiry is never later than the
// stored one plus SyncEvery, so they are refused already.
func (s *Service) ExpireStale(ctx context.Context, batch int) (int, error) {
	if batch <= 0 {
		return 0, nil
	}
	now := s.now()
	before := now.Add(-s.policy.SyncEvery())
	var n int
	err := s.uow.Transaction(ctx, func(ctx context.Context) error {
		var err error
		n, err = s.store.ExpireBatch(ctx, before, now, batch)
		if err != nil || n == 0 {
			return err
		}
		if err := s.audit.Record(ctx, auditport.Event{
			Action: "sessions.expired", ActorType: auditport.ActorSystem,
			TargetType: "session", Details: map[string]any{"count": n, "expired_before": before.Format("2006-01-02T15:04:05.999999Z07:00")},
			OccurredAt: now,
		}); err != nil {
			return fmt.Errorf("record audit: %w", err)
		}
		s.uow.AfterCommit(ctx, func(context.Context) { s.meter.Add(platformport.MetricSessions, "expired", n) })
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("expire sessions: %w", err)
	}
	return n, nil
}

// ExpireAll calls ExpireStale in batches until a batch comes back short,
// and returns the total. Each batch is its own transaction, so no lock is
// held for long and other instances may run it at the same time.
func (s *Service) ExpireAll(ctx context.Context, batch int) (int, error) {
	total := 0
	for {
		n, err := s.ExpireStale(ctx, batch)
		total += n
		if err != nil || n < batch {
			return total, err
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}
