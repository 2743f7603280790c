package platformport

import (
	"context"
	"time"
)

// LimitCheck is one limit of an attempt that several limits bound, as
// AttemptGate checks it.
//
// Key and Limit are those of a RateLimiter key. Take counts the attempt
// against Key when the check admits it (RateLimiter.Take); without it the
// check only looks (RateLimiter.Peek). A check without room is waived when
// WaiveMember is in the RecentSet set WaiveSet (both empty: never waived).
// TallyKey, when set, is the Tally key a refusal by this check is counted
// under.
type LimitCheck struct {
	Key                   string
	Limit                 Limit
	Take                  bool
	WaiveSet, WaiveMember string
	TallyKey              string
}

// Verdict is the outcome of AttemptGate.Admit: Refused is the index of the
// check that refused the attempt, or -1 when every check admitted it; a
// refusal carries RetryAfter > 0 (as a refused Decision does).
type Verdict struct {
	Refused    int
	RetryAfter time.Duration
}

// Admitted reports whether every check admitted the attempt.
func (v Verdict) Admitted() bool { return v.Refused < 0 }

// AttemptGate decides, in one call (one round trip to a shared store), an
// attempt that several limits bound, and counts a refusal for its summary:
// what a flood of refused attempts costs is that one call.
//
// Contract (checked by platformporttest): Admit runs checks in order. A
// check with room admits (and, with Take, counts the attempt against its
// key, as RateLimiter.Take would); a check without room and not waived
// refuses the attempt: one event is counted under its TallyKey in the
// current window of length tallyWindow (as Tally.Add would), the later
// checks are neither counted nor looked at, and the counts of the earlier
// ones stay. A waived check counts nothing. Admit works on the state of the
// RateLimiter, RecentSet and Tally of the same store: a key another call
// took, reset or added is the key Admit checks, and a refusal it counted is
// drained by that Tally.
type AttemptGate interface {
	Admit(ctx context.Context, checks []LimitCheck, tallyWindow time.Duration) (Verdict, error)
}
