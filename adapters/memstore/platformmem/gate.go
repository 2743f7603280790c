package platformmem

import (
	"context"
	"time"

	"github.com/secuird/authy/ports/platformport"
)

// Gate is the in-process platformport.AttemptGate: it asks the limiter,
// the recent set and the tally it is given, one check after another. In
// process each question is a call, not a round trip, so composing them
// costs nothing a single call would save.
type Gate struct {
	limiter platformport.RateLimiter
	recent  platformport.RecentSet
	tally   platformport.Tally
}

var _ platformport.AttemptGate = (*Gate)(nil)

// NewGate returns a gate over limiter, recent and tally.
func NewGate(limiter platformport.RateLimiter, recent platformport.RecentSet, tally platformport.Tally) *Gate {
	return &Gate{limiter: limiter, recent: recent, tally: tally}
}

// Admit implements platformport.AttemptGate.
func (g *Gate) Admit(ctx context.Context, checks []platformport.LimitCheck, tallyWindow time.Duration) (platformport.Verdict, error) {
	for i, c := range checks {
		var (
			d   platformport.Decision
			err error
		)
		if c.Take {
			d, err = g.limiter.Take(ctx, c.Key, c.Limit)
		} else {
			d, err = g.limiter.Peek(ctx, c.Key, c.Limit)
		}
		if err != nil {
			return platformport.Verdict{}, err
		}
		if d.Allowed {
			continue
		}
		if c.WaiveSet != "" {
			waived, err := g.recent.Has(ctx, c.WaiveSet, c.WaiveMember)
			if err != nil {
				return platformport.Verdict{}, err
			}
			if waived {
				continue
			}
		}
		if c.TallyKey != "" {
			if err := g.tally.Add(ctx, c.TallyKey, tallyWindow); err != nil {
				return platformport.Verdict{}, err
			}
		}
		return platformport.Verdict{Refused: i, RetryAfter: d.RetryAfter}, nil
	}
	return platformport.Verdict{Refused: -1}, nil
}
