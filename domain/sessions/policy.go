package sessions

import (
	"fmt"
	"time"

	"github.com/secuird/authy/domain/shared"
)

// maxSyncEvery caps how long the stored idle clock may lag behind the cached
// one (see Policy.SyncEvery).
const maxSyncEvery = time.Minute

// Policy is the sliding window every session follows.
//
// Invariants: 0 < idle <= absolute; syncEvery is min(idle/10, one minute)
// and at least one second (or idle itself when idle is shorter).
type Policy struct {
	idle      time.Duration
	absolute  time.Duration
	syncEvery time.Duration
}

// NewPolicy checks and builds a policy.
func NewPolicy(idle, absolute time.Duration) (Policy, error) {
	if idle <= 0 || absolute <= 0 || idle > absolute {
		return Policy{}, shared.Invalid(CodeInvalid,
			fmt.Sprintf("session timeouts must satisfy 0 < idle (%s) <= absolute (%s)", idle, absolute), nil)
	}
	sync := idle / 10
	if sync > maxSyncEvery {
		sync = maxSyncEvery
	}
	if sync < time.Second {
		sync = min(time.Second, idle)
	}
	return Policy{idle: idle, absolute: absolute, syncEvery: sync}, nil
}

// Idle is how long a session lives without activity.
func (p Policy) Idle() time.Duration { return p.idle }

// Absolute is how long a session lives at most, from creation.
func (p Policy) Absolute() time.Duration { return p.absolute }

// SyncEvery is the longest the durable copy of a session's idle clock
// (last_seen_at, expires_at) may lag behind the cached copy that every
// request moves. Writing it at most this often spares the database a write
// per request; losing the cache then costs at most SyncEvery of a session's
// idle window. It is also the grace the cleanup job leaves before marking a
// session expired, so it never ends a session the cache still extends.
func (p Policy) SyncEvery() time.Duration { return p.syncEvery }

// SyncDue reports whether a session whose idle clock was last stored at
// storedAt must be stored again at now.
func (p Policy) SyncDue(storedAt, now time.Time) bool {
	return now.Sub(storedAt) >= p.syncEvery
}

// window returns the expiry of activity at now for a session that can live
// until absoluteExpiresAt.
func (p Policy) window(now, absoluteExpiresAt time.Time) time.Time {
	e := now.Add(p.idle)
	if e.After(absoluteExpiresAt) {
		return absoluteExpiresAt
	}
	return e
}
