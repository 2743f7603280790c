package mfaapp

import (
	"context"
	"time"
)

// challengeKeep is how long an expired challenge stays before it is purged
// (its audit records stay for good).
const challengeKeep = time.Hour

// purgeBatch bounds one delete statement.
const purgeBatch = 500

// PurgeChallenges deletes the login challenges that expired more than an
// hour ago, in bounded batches, and returns how many went.
func (s *Service) PurgeChallenges(ctx context.Context) (int, error) {
	before := s.now().Add(-challengeKeep)
	total := 0
	for {
		n, err := s.d.Challenges.DeleteExpired(ctx, before, purgeBatch)
		total += n
		if err != nil || n < purgeBatch {
			return total, err
		}
	}
}
