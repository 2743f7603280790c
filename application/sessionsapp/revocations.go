package sessionsapp

import (
	"context"
	"time"

	"github.com/secuird/authy/domain/sessions"
)

// maxDenied is how many pending purges one poll reads. An outbox holding
// more cannot be mirrored in memory; the instance then confirms every cached
// session with the store until the reconciler has drained it.
const maxDenied = 4096

// denySnapshot is the outbox of unapplied cache purges as one poll read it.
// takenAt is the instance's clock just before the query was sent, so every
// revocation committed before takenAt is in hashes unless its purge had
// already been applied to the shared cache (its row is deleted only then).
type denySnapshot struct {
	hashes   map[sessions.TokenHash]struct{}
	takenAt  time.Time
	complete bool
}

// PollRevocations reads the purges still pending in the store — revocations
// whose instance could not (yet) write them to the shared cache — into the
// in-process deny set Authenticate consults before every cache read. It is
// one small indexed query; RunRevocationPoller calls it every
// Deps.RevocationPoll.
func (s *Service) PollRevocations(ctx context.Context) error {
	takenAt := s.now()
	ps, err := s.store.PendingPurges(ctx, maxDenied+1)
	if err != nil {
		// The previous snapshot keeps ageing; once it is older than the
		// bound, cached sessions are confirmed with the store.
		return storeErr("poll revocations", err)
	}
	snap := &denySnapshot{
		hashes: make(map[sessions.TokenHash]struct{}, len(ps)), takenAt: takenAt,
		complete: len(ps) <= maxDenied,
	}
	for _, p := range ps {
		snap.hashes[p.Hash] = struct{}{}
	}
	s.deny.Store(snap)
	s.polls.Add(1)
	return nil
}

// RevocationPolls reports how many polls have completed on this instance.
func (s *Service) RevocationPolls() uint64 { return s.polls.Load() }

// RevocationBound is the longest a revoked session can still be accepted
// from the cache by this instance after the revocation committed, wherever
// it was revoked: two poll intervals (zero when the instance does not poll,
// as the single embedded instance, whose cache never fails).
func (s *Service) RevocationBound() time.Duration { return 2 * s.pollEvery }

// RunRevocationPoller calls PollRevocations every Deps.RevocationPoll until
// ctx ends. A failed poll is retried at the next tick; it never returns an
// error.
func (s *Service) RunRevocationPoller(ctx context.Context) error {
	if s.pollEvery <= 0 {
		return nil
	}
	t := time.NewTicker(s.pollEvery)
	defer t.Stop()
	var failing bool
	for {
		if err := s.PollRevocations(ctx); err != nil && ctx.Err() == nil {
			if !failing {
				s.log.WarnContext(ctx, "cannot read pending session revocations; cached sessions are confirmed with the database until it answers",
					"error", err.Error())
			}
			failing = true
		} else if err == nil && failing {
			failing = false
			s.log.InfoContext(ctx, "pending session revocations readable again")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// denied reports whether h is pending revocation and whether the deny set
// is current enough to rely on: a snapshot taken within RevocationBound and
// holding the whole outbox. Without polling it is always current and empty.
func (s *Service) denied(h sessions.TokenHash, now time.Time) (denied, current bool) {
	if s.pollEvery <= 0 {
		return false, true
	}
	snap := s.deny.Load()
	if snap == nil {
		return false, false
	}
	_, denied = snap.hashes[h]
	return denied, snap.complete && now.Sub(snap.takenAt) <= s.RevocationBound()
}
