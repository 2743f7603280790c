package httpapi

import (
	"testing"

	"github.com/google/uuid"
)

func TestRequestIDs_AreVersion4UUIDsThatNeverRepeatAcrossTheCountersWrap(t *testing.T) {
	a, b := newRequestIDSource(), newRequestIDSource()
	if a.prefix == b.prefix {
		t.Fatalf("two sources drew one prefix %q", a.prefix)
	}
	// Start just below the 62 bits the ids carry, so the run crosses the
	// point where the counter's high bits change and must not show.
	a.counter.Store(1<<62 - 5)
	seen := map[string]bool{}
	for range 10000 {
		for _, s := range []*requestIDSource{a, b} {
			id := s.next()
			u, err := uuid.Parse(id)
			if err != nil || u.Version() != 4 || u.Variant() != uuid.RFC4122 || u.String() != id {
				t.Fatalf("request id %q is not a canonical version 4 UUID (%v)", id, err)
			}
			if seen[id] {
				t.Fatalf("request id %q made twice", id)
			}
			seen[id] = true
		}
	}
}
