package platformmem

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/secuird/authy/ports/platformport"
)

// RecentSet is the in-process platformport.RecentSet. Expired members are
// dropped as sets are touched and in a periodic sweep, so a flood of
// distinct sets cannot grow memory without bound.
type RecentSet struct {
	clock platformport.Clock
	mu    sync.Mutex
	sets  map[string]map[string]time.Time
	ops   int
}

var _ platformport.RecentSet = (*RecentSet)(nil)

// NewRecentSet returns an empty store reading time from clock.
func NewRecentSet(clock platformport.Clock) *RecentSet {
	return &RecentSet{clock: clock, sets: map[string]map[string]time.Time{}}
}

// Add implements platformport.RecentSet.
func (r *RecentSet) Add(_ context.Context, set, member string, ttl time.Duration, keep int) error {
	now := r.clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops++
	if r.ops%1024 == 0 {
		r.sweep(now)
	}
	m := r.sets[set]
	if m == nil {
		m = map[string]time.Time{}
		r.sets[set] = m
	}
	m[member] = now.Add(ttl)
	for k, exp := range m {
		if !exp.After(now) {
			delete(m, k)
		}
	}
	for keep > 0 && len(m) > keep {
		var soonest string
		for k, exp := range m {
			if soonest == "" || exp.Before(m[soonest]) {
				soonest = k
			}
		}
		delete(m, soonest)
	}
	return nil
}

// Has implements platformport.RecentSet.
func (r *RecentSet) Has(_ context.Context, set, member string) (bool, error) {
	now := r.clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	exp, ok := r.sets[set][member]
	return ok && exp.After(now), nil
}

func (r *RecentSet) sweep(now time.Time) {
	for set, m := range r.sets {
		for k, exp := range m {
			if !exp.After(now) {
				delete(m, k)
			}
		}
		if len(m) == 0 {
			delete(r.sets, set)
		}
	}
}

// Tally is the in-process platformport.Tally. Counts of windows nobody
// drains stay until drained; the server drains them continuously.
type Tally struct {
	clock   platformport.Clock
	mu      sync.Mutex
	windows map[tallyWindow]int
}

type tallyWindow struct {
	key        string
	start, end int64 // Unix nanoseconds
}

var _ platformport.Tally = (*Tally)(nil)

// NewTally returns an empty tally reading time from clock.
func NewTally(clock platformport.Clock) *Tally {
	return &Tally{clock: clock, windows: map[tallyWindow]int{}}
}

// Add implements platformport.Tally.
func (t *Tally) Add(_ context.Context, key string, window time.Duration) error {
	now := t.clock.Now().UnixNano()
	w := int64(window)
	if w <= 0 {
		w = 1
	}
	start := now - now%w
	t.mu.Lock()
	t.windows[tallyWindow{key: key, start: start, end: start + w}]++
	t.mu.Unlock()
	return nil
}

// Drain implements platformport.Tally.
func (t *Tally) Drain(_ context.Context, max int) ([]platformport.TallyCount, error) {
	now := t.clock.Now().UnixNano()
	t.mu.Lock()
	defer t.mu.Unlock()
	var ended []tallyWindow
	for w := range t.windows {
		if w.end <= now {
			ended = append(ended, w)
		}
	}
	sort.Slice(ended, func(i, j int) bool {
		if ended[i].end != ended[j].end {
			return ended[i].end < ended[j].end
		}
		return ended[i].key < ended[j].key
	})
	if max >= 0 && len(ended) > max {
		ended = ended[:max]
	}
	out := make([]platformport.TallyCount, 0, len(ended))
	for _, w := range ended {
		out = append(out, platformport.TallyCount{
			Key: w.key, Start: time.Unix(0, w.start).UTC(), End: time.Unix(0, w.end).UTC(), Count: t.windows[w],
		})
		delete(t.windows, w)
	}
	return out, nil
}
