package platformport

import (
	"context"
	"time"
)

// RecentSet remembers, per set, the members added to it recently; identity
// keeps in it the clients each account signed in from.
//
// Contract (checked by platformporttest): Add makes member part of set until
// ttl has passed (adding it again moves its expiry); a set keeps at most keep
// members and forgets first those that expire soonest; Has reports whether
// member is in set and not expired; sets are independent. Implementations
// shared by several server instances (Redis) give every instance the same
// answer.
type RecentSet interface {
	Add(ctx context.Context, set, member string, ttl time.Duration, keep int) error
	Has(ctx context.Context, set, member string) (bool, error)
}

// Tally counts events per key in fixed windows and hands the count of every
// window that has ended out exactly once; identity summarises refused
// attempts with it, so a flood costs one audit record per key and window
// instead of one per attempt.
//
// Contract (checked by platformporttest): Add counts one event for key in
// the current window of length window (windows start at multiples of window
// since the Unix epoch); Drain returns at most max counts of windows that have
// ended, oldest end first, and forgets them. A window still open is never
// returned; every counted window is returned by exactly one Drain, also when
// several callers (or instances sharing the store) drain at once.
type Tally interface {
	Add(ctx context.Context, key string, window time.Duration) error
	Drain(ctx context.Context, max int) ([]TallyCount, error)
}

// TallyCount is the number of events counted for Key in [Start, End).
type TallyCount struct {
	Key        string
	Start, End time.Time
	Count      int
}
