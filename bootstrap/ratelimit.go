package bootstrap

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/secuird/authy/ports/platformport"
)

// fallbackLimiter asks the shared (Redis) limiter and, when it cannot
// answer, the in-process one: while Redis is down each instance enforces the
// limits on its own traffic, so the server stays up and abuse is still
// bounded (per instance) instead of every limited endpoint failing.
type fallbackLimiter struct {
	shared, local platformport.RateLimiter
	log           *slog.Logger
	lastWarn      atomic.Int64
}

func (f *fallbackLimiter) Take(ctx context.Context, key string, l platformport.Limit) (platformport.Decision, error) {
	d, err := f.shared.Take(ctx, key, l)
	if err != nil {
		f.warn(err)
		return f.local.Take(ctx, key, l)
	}
	return d, nil
}

func (f *fallbackLimiter) Peek(ctx context.Context, key string, l platformport.Limit) (platformport.Decision, error) {
	d, err := f.shared.Peek(ctx, key, l)
	if err != nil {
		f.warn(err)
		return f.local.Peek(ctx, key, l)
	}
	return d, nil
}

func (f *fallbackLimiter) Reset(ctx context.Context, key string) error {
	lerr := f.local.Reset(ctx, key)
	if err := f.shared.Reset(ctx, key); err != nil {
		f.warn(err)
		return lerr
	}
	return lerr
}

// warn logs at most once every 10 seconds.
func (f *fallbackLimiter) warn(err error) {
	now := time.Now().Unix()
	last := f.lastWarn.Load()
	if now-last >= 10 && f.lastWarn.CompareAndSwap(last, now) {
		f.log.Warn("shared rate limiter unavailable; enforcing limits per instance", "error", err.Error())
	}
}

// fallbackRecentSet remembers in the shared (Redis) store and, when it
// cannot answer, in the in-process one: while Redis is down an instance
// still knows the clients that signed in through it.
type fallbackRecentSet struct {
	shared, local platformport.RecentSet
	warner        *outageWarner
}

func (f *fallbackRecentSet) Add(ctx context.Context, set, member string, ttl time.Duration, keep int) error {
	if err := f.shared.Add(ctx, set, member, ttl, keep); err != nil {
		f.warner.warn(err)
		return f.local.Add(ctx, set, member, ttl, keep)
	}
	return nil
}

func (f *fallbackRecentSet) Has(ctx context.Context, set, member string) (bool, error) {
	ok, err := f.shared.Has(ctx, set, member)
	if err != nil {
		f.warner.warn(err)
		return f.local.Has(ctx, set, member)
	}
	if ok {
		return true, nil
	}
	// A sign-in remembered only locally while Redis was down still counts.
	return f.local.Has(ctx, set, member)
}

// fallbackTally counts in the shared (Redis) tally and, when it cannot
// answer, in the in-process one; Drain hands out both, so refusals counted
// during an outage still reach the audit trail.
type fallbackTally struct {
	shared, local platformport.Tally
	warner        *outageWarner
}

func (f *fallbackTally) Add(ctx context.Context, key string, window time.Duration) error {
	if err := f.shared.Add(ctx, key, window); err != nil {
		f.warner.warn(err)
		return f.local.Add(ctx, key, window)
	}
	return nil
}

func (f *fallbackTally) Drain(ctx context.Context, max int) ([]platformport.TallyCount, error) {
	out, err := f.local.Drain(ctx, max)
	if err != nil {
		return out, err
	}
	more, err := f.shared.Drain(ctx, max-len(out))
	if err != nil {
		f.warner.warn(err)
		// What the local store handed out is gone from it: return it.
		return out, nil
	}
	return append(out, more...), nil
}

// fallbackGate decides attempts with the shared (Redis) gate and, when it
// cannot answer, with the in-process one over the local limiter, recent set
// and tally: while Redis is down each instance bounds the attempts it sees,
// as fallbackLimiter does. A check a client known only locally would waive
// (it signed in while Redis was down, see fallbackRecentSet) is left out of
// the shared call, so that sign-in still counts.
type fallbackGate struct {
	shared, local platformport.AttemptGate
	localKnown    platformport.RecentSet
	warner        *outageWarner
}

func (f *fallbackGate) Admit(ctx context.Context, checks []platformport.LimitCheck, window time.Duration) (platformport.Verdict, error) {
	asked := make([]platformport.LimitCheck, 0, len(checks))
	index := make([]int, 0, len(checks))
	for i, c := range checks {
		if c.WaiveSet != "" {
			if known, err := f.localKnown.Has(ctx, c.WaiveSet, c.WaiveMember); err == nil && known {
				continue
			}
		}
		asked, index = append(asked, c), append(index, i)
	}
	v, err := f.shared.Admit(ctx, asked, window)
	if err != nil {
		f.warner.warn(err)
		if v, err = f.local.Admit(ctx, asked, window); err != nil {
			return v, err
		}
	}
	if v.Refused >= 0 {
		v.Refused = index[v.Refused]
	}
	return v, nil
}

// outageWarner logs that the shared store is down at most once every 10
// seconds.
type outageWarner struct {
	log  *slog.Logger
	what string
	last atomic.Int64
}

func (w *outageWarner) warn(err error) {
	now := time.Now().Unix()
	last := w.last.Load()
	if now-last >= 10 && w.last.CompareAndSwap(last, now) {
		w.log.Warn("shared "+w.what+" unavailable; using the in-process one", "error", err.Error())
	}
}
