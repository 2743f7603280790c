package platformporttest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secuird/authy/ports/platformport"
)

// RecentSetContract checks a RecentSet. newSet returns a fresh store; set
// names are unique per run so shared backends stay isolated.
func RecentSetContract(t *testing.T, newSet func(t *testing.T) platformport.RecentSet) {
	t.Helper()
	ctx := context.Background()
	unique := fmt.Sprintf("%d", time.Now().UnixNano())

	has := func(t *testing.T, s platformport.RecentSet, set, member string) bool {
		t.Helper()
		ok, err := s.Has(ctx, set, member)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}

	t.Run("a member added is there and sets are independent", func(t *testing.T) {
		s := newSet(t)
		a, b := "contract:a:"+unique, "contract:b:"+unique
		if has(t, s, a, "203.0.113.1") {
			t.Fatal("an empty set has a member")
		}
		if err := s.Add(ctx, a, "203.0.113.1", time.Hour, 8); err != nil {
			t.Fatal(err)
		}
		if !has(t, s, a, "203.0.113.1") {
			t.Fatal("the member added is missing")
		}
		if has(t, s, a, "203.0.113.2") || has(t, s, b, "203.0.113.1") {
			t.Fatal("another member or another set must not match")
		}
	})

	t.Run("a member expires after its time to live and adding again extends it", func(t *testing.T) {
		s := newSet(t)
		set := "contract:ttl:" + unique
		if err := s.Add(ctx, set, "short", 200*time.Millisecond, 8); err != nil {
			t.Fatal(err)
		}
		if err := s.Add(ctx, set, "renewed", 200*time.Millisecond, 8); err != nil {
			t.Fatal(err)
		}
		if err := s.Add(ctx, set, "renewed", time.Hour, 8); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for has(t, s, set, "short") {
			if time.Now().After(deadline) {
				t.Fatal("the member never expired")
			}
			time.Sleep(20 * time.Millisecond) // polling interval, not a wait for an event
		}
		if !has(t, s, set, "renewed") {
			t.Fatal("adding a member again must move its expiry")
		}
	})

	t.Run("a set keeps at most keep members, the latest to expire", func(t *testing.T) {
		s := newSet(t)
		set := "contract:keep:" + unique
		for i := 0; i < 5; i++ {
			if err := s.Add(ctx, set, fmt.Sprintf("m%d", i), time.Hour+time.Duration(i)*time.Second, 3); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < 5; i++ {
			if got, want := has(t, s, set, fmt.Sprintf("m%d", i)), i >= 2; got != want {
				t.Fatalf("m%d present=%v, want %v", i, got, want)
			}
		}
	})
}

// TallyContract checks a Tally. newTally returns a fresh store; because a
// shared store may hold other runs' windows, the checks look only at keys
// of this run.
func TallyContract(t *testing.T, newTally func(t *testing.T) platformport.Tally) {
	t.Helper()
	ctx := context.Background()
	unique := fmt.Sprintf("contract:%d:", time.Now().UnixNano())

	// drainAll drains until the windows of keys with prefix have all been
	// handed out, or the deadline passes.
	drainAll := func(t *testing.T, tl platformport.Tally, prefix string, want int) map[string]platformport.TallyCount {
		t.Helper()
		got := map[string]platformport.TallyCount{}
		deadline := time.Now().Add(5 * time.Second)
		for {
			out, err := tl.Drain(ctx, 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range out {
				if !strings.HasPrefix(c.Key, prefix) {
					continue
				}
				if _, dup := got[c.Key]; dup {
					t.Fatalf("window of %s handed out twice", c.Key)
				}
				got[c.Key] = c
			}
			if len(got) >= want {
				return got
			}
			if time.Now().After(deadline) {
				t.Fatalf("drained %d of %d windows", len(got), want)
			}
			time.Sleep(20 * time.Millisecond) // polling interval, not a wait for an event
		}
	}

	t.Run("an open window is not drained; an ended one is, once, with its count", func(t *testing.T) {
		tl := newTally(t)
		open, short := unique+"open", unique+"short"
		for i := 0; i < 3; i++ {
			if err := tl.Add(ctx, open, time.Hour); err != nil {
				t.Fatal(err)
			}
		}
		before := time.Now()
		for i := 0; i < 4; i++ {
			if err := tl.Add(ctx, short, 200*time.Millisecond); err != nil {
				t.Fatal(err)
			}
		}
		got := drainAll(t, tl, short, 1)
		c := got[short]
		if c.Count < 1 || c.Count > 4 {
			t.Fatalf("count = %d, want the events of one window (1..4)", c.Count)
		}
		if c.End.Sub(c.Start) != 200*time.Millisecond || c.End.After(time.Now()) || c.End.Before(before) {
			t.Fatalf("window [%v, %v) is not an ended 200ms window", c.Start, c.End)
		}
		if c.Count < 4 {
			// The four events straddled a window boundary: the rest is in
			// the next window, handed out on its own.
			rest := drainAll(t, tl, short, 1)[short]
			if c.Count+rest.Count != 4 || !rest.Start.Equal(c.End) {
				t.Fatalf("windows %+v and %+v do not account for 4 events", c, rest)
			}
		}
		out, err := tl.Drain(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range out {
			if x.Key == open || x.Key == short {
				t.Fatalf("handed out %+v again or while open", x)
			}
		}
	})

	t.Run("drain returns at most max windows, oldest end first", func(t *testing.T) {
		tl := newTally(t)
		prefix := unique + "max:"
		for i := 0; i < 5; i++ {
			if err := tl.Add(ctx, fmt.Sprintf("%s%d", prefix, i), 100*time.Millisecond); err != nil {
				t.Fatal(err)
			}
		}
		deadline := time.Now().Add(5 * time.Second)
		seen := 0
		var last time.Time
		for seen < 5 {
			out, err := tl.Drain(ctx, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(out) > 2 {
				t.Fatalf("drain(2) returned %d", len(out))
			}
			for _, c := range out {
				if c.End.Before(last) {
					t.Fatalf("windows out of order: %v after %v", c.End, last)
				}
				last = c.End
				if strings.HasPrefix(c.Key, prefix) {
					seen++
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("drained %d of 5", seen)
			}
			if len(out) == 0 {
				time.Sleep(20 * time.Millisecond) // polling interval, not a wait for an event
			}
		}
	})

	t.Run("concurrent drains hand every window out exactly once", func(t *testing.T) {
		tl := newTally(t)
		prefix := unique + "race:"
		const keys, events = 20, 5
		var wg sync.WaitGroup
		for k := 0; k < keys; k++ {
			for e := 0; e < events; e++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := tl.Add(ctx, fmt.Sprintf("%s%d", prefix, k), 300*time.Millisecond); err != nil {
						t.Error(err)
					}
				}()
			}
		}
		wg.Wait()
		var mu sync.Mutex
		total, windows := 0, map[string]int{}
		deadline := time.Now().Add(5 * time.Second)
		for total < keys*events && time.Now().Before(deadline) {
			var dw sync.WaitGroup
			for d := 0; d < 6; d++ {
				dw.Add(1)
				go func() {
					defer dw.Done()
					out, err := tl.Drain(ctx, 3)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					defer mu.Unlock()
					for _, c := range out {
						if strings.HasPrefix(c.Key, prefix) {
							total += c.Count
							windows[fmt.Sprintf("%s@%d", c.Key, c.Start.UnixNano())]++
						}
					}
				}()
			}
			dw.Wait()
			time.Sleep(20 * time.Millisecond) // polling interval, not a wait for an event
		}
		if total != keys*events {
			t.Fatalf("drained %d events, want exactly %d", total, keys*events)
		}
		for w, n := range windows {
			if n != 1 {
				t.Fatalf("window %s handed out %d times", w, n)
			}
		}
	})
}
