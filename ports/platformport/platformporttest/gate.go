package platformporttest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/secuird/authy/ports/platformport"
)

// GateStores are an AttemptGate and the stores whose state it shares.
type GateStores struct {
	Gate    platformport.AttemptGate
	Limiter platformport.RateLimiter
	Recent  platformport.RecentSet
	Tally   platformport.Tally
}

// AttemptGateContract checks an AttemptGate against the RateLimiter,
// RecentSet and Tally of the same store. newStores returns them fresh; keys
// are unique per run so shared backends stay isolated.
func AttemptGateContract(t *testing.T, newStores func(t *testing.T) GateStores) {
	t.Helper()
	ctx := context.Background()
	unique := fmt.Sprintf("gate:%d:", time.Now().UnixNano())
	hour := func(max int) platformport.Limit { return platformport.Limit{Max: max, Window: time.Hour} }
	admit := func(t *testing.T, g platformport.AttemptGate, checks ...platformport.LimitCheck) platformport.Verdict {
		t.Helper()
		v, err := g.Admit(ctx, checks, 200*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	remaining := func(t *testing.T, l platformport.RateLimiter, key string, limit platformport.Limit) int {
		t.Helper()
		d, err := l.Peek(ctx, key, limit)
		if err != nil {
			t.Fatal(err)
		}
		return d.Remaining
	}

	t.Run("checks run in order: takes count, a refusal stops the rest and spends nothing", func(t *testing.T) {
		s := newStores(t)
		first, second, third := unique+"order:1", unique+"order:2", unique+"order:3"
		checks := []platformport.LimitCheck{
			{Key: first, Limit: hour(10), Take: true},
			{Key: second, Limit: hour(2)},
			{Key: third, Limit: hour(10), Take: true},
		}
		if v := admit(t, s.Gate, checks...); !v.Admitted() || v.Refused != -1 {
			t.Fatalf("verdict %+v, want admitted", v)
		}
		if got := remaining(t, s.Limiter, first, hour(10)); got != 9 {
			t.Fatalf("first key has %d left, want 9 (the take counted)", got)
		}
		if got := remaining(t, s.Limiter, second, hour(2)); got != 2 {
			t.Fatalf("a peeking check counted: %d left, want 2", got)
		}
		for range 2 {
			if _, err := s.Limiter.Take(ctx, second, hour(2)); err != nil {
				t.Fatal(err)
			}
		}
		v := admit(t, s.Gate, checks...)
		if v.Admitted() || v.Refused != 1 || v.RetryAfter <= 0 {
			t.Fatalf("verdict %+v, want refused by check 1 with a retry", v)
		}
		if got := remaining(t, s.Limiter, first, hour(10)); got != 8 {
			t.Fatalf("first key has %d left, want 8 (counts before the refusal stay)", got)
		}
		if got := remaining(t, s.Limiter, third, hour(10)); got != 9 {
			t.Fatalf("third key has %d left, want 9 (nothing after the refusal counts)", got)
		}
		if err := s.Limiter.Reset(ctx, second); err != nil {
			t.Fatal(err)
		}
		if v := admit(t, s.Gate, checks...); !v.Admitted() {
			t.Fatalf("verdict %+v after the key's reset, want admitted", v)
		}
	})

	t.Run("a take admits at most Max in the window", func(t *testing.T) {
		s := newStores(t)
		key := unique + "max"
		for i := range 3 {
			if v := admit(t, s.Gate, platformport.LimitCheck{Key: key, Limit: hour(3), Take: true}); !v.Admitted() {
				t.Fatalf("attempt %d refused: %+v", i, v)
			}
		}
		if v := admit(t, s.Gate, platformport.LimitCheck{Key: key, Limit: hour(3), Take: true}); v.Admitted() || v.Refused != 0 {
			t.Fatalf("the fourth attempt: %+v, want refused by check 0", v)
		}
		if d, err := s.Limiter.Take(ctx, key, hour(3)); err != nil || d.Allowed {
			t.Fatalf("the limiter admits past the gate's counts: %+v %v", d, err)
		}
	})

	t.Run("a refusal is waived for a member of the set, and counts nothing", func(t *testing.T) {
		s := newStores(t)
		key, set := unique+"waive", unique+"waive:set"
		if _, err := s.Limiter.Take(ctx, key, hour(1)); err != nil {
			t.Fatal(err)
		}
		if err := s.Recent.Add(ctx, set, "203.0.113.7", time.Hour, 8); err != nil {
			t.Fatal(err)
		}
		check := func(member string) platformport.LimitCheck {
			return platformport.LimitCheck{Key: key, Limit: hour(1), Take: true, WaiveSet: set, WaiveMember: member,
				TallyKey: unique + "waive:" + member}
		}
		if v := admit(t, s.Gate, check("203.0.113.7")); !v.Admitted() {
			t.Fatalf("a member of the set: %+v, want waived", v)
		}
		if v := admit(t, s.Gate, check("203.0.113.8")); v.Admitted() {
			t.Fatal("a client not in the set was waived")
		}
		if got := remaining(t, s.Limiter, key, hour(2)); got != 1 {
			t.Fatalf("%d left of 2, want 1: a waived or refused check counted", got)
		}
		got := drainGate(t, s.Tally, unique+"waive:", 1)
		if _, ok := got[unique+"waive:203.0.113.7"]; ok {
			t.Fatal("a waived check was counted as a refusal")
		}
	})

	t.Run("a refusal is counted under its check's tally key, in windows the tally drains", func(t *testing.T) {
		s := newStores(t)
		key := unique + "tally"
		if _, err := s.Limiter.Take(ctx, key, hour(1)); err != nil {
			t.Fatal(err)
		}
		checks := []platformport.LimitCheck{
			{Key: unique + "tally:open", Limit: hour(100), Take: true, TallyKey: unique + "tally:never"},
			{Key: key, Limit: hour(1), TallyKey: unique + "tally:refused"},
		}
		for range 3 {
			v, err := s.Gate.Admit(ctx, checks, 200*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			if v.Refused != 1 {
				t.Fatalf("verdict %+v, want refused by check 1", v)
			}
		}
		got := drainGate(t, s.Tally, unique+"tally:", 1)
		c := got[unique+"tally:refused"]
		if c.End.Sub(c.Start) != 200*time.Millisecond {
			t.Fatalf("window [%v, %v), want 200ms", c.Start, c.End)
		}
		total := c.Count
		if total < 3 {
			total += drainGate(t, s.Tally, unique+"tally:refused", 1)[unique+"tally:refused"].Count
		}
		if total != 3 {
			t.Fatalf("%d refusals counted, want 3", total)
		}
		if _, ok := got[unique+"tally:never"]; ok {
			t.Fatal("a check that admitted was counted as a refusal")
		}
	})
}

// drainGate drains tl until want windows of keys with prefix came out or
// 5 seconds passed.
func drainGate(t *testing.T, tl platformport.Tally, prefix string, want int) map[string]platformport.TallyCount {
	t.Helper()
	got := map[string]platformport.TallyCount{}
	deadline := time.Now().Add(5 * time.Second)
	for len(got) < want {
		out, err := tl.Drain(context.Background(), 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range out {
			if strings.HasPrefix(c.Key, prefix) {
				got[c.Key] = c
			}
		}
		if len(got) >= want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("drained %d of %d windows of %s", len(got), want, prefix)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not a wait for an event
	}
	return got
}
