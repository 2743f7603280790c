package bootstrap

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/secuird/authy/adapters/memstore/platformmem"
	"github.com/secuird/authy/ports/platformport"
)

type downLimiter struct{}

func (downLimiter) Take(context.Context, string, platformport.Limit) (platformport.Decision, error) {
	return platformport.Decision{}, errors.New("connection refused")
}
func (downLimiter) Peek(context.Context, string, platformport.Limit) (platformport.Decision, error) {
	return platformport.Decision{}, errors.New("connection refused")
}
func (downLimiter) Reset(context.Context, string) error { return errors.New("connection refused") }

func TestFallbackLimiter_KeepsLimitingPerInstanceWhileTheSharedOneIsDown(t *testing.T) {
	f := &fallbackLimiter{
		shared: downLimiter{},
		local:  platformmem.NewRateLimiter(platformport.SystemClock),
		log:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	limit := platformport.Limit{Max: 2, Window: time.Minute}
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if d, err := f.Take(ctx, "k", limit); err != nil || !d.Allowed {
			t.Fatalf("take %d: %+v %v", i, d, err)
		}
	}
	if d, err := f.Take(ctx, "k", limit); err != nil || d.Allowed {
		t.Fatalf("the fallback must still refuse over the limit: %+v %v", d, err)
	}
	if err := f.Reset(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if d, _ := f.Peek(ctx, "k", limit); !d.Allowed {
		t.Fatal("reset must reach the local limiter")
	}
}

type downGate struct{}

func (downGate) Admit(context.Context, []platformport.LimitCheck, time.Duration) (platformport.Verdict, error) {
	return platformport.Verdict{}, errors.New("connection refused")
}

func TestFallbackGate_LimitsPerInstanceWhileTheSharedOneIsDown(t *testing.T) {
	clock := platformport.SystemClock
	local := platformmem.NewRateLimiter(clock)
	known, tally := platformmem.NewRecentSet(clock), platformmem.NewTally(clock)
	f := &fallbackGate{shared: downGate{}, local: platformmem.NewGate(local, known, tally), localKnown: known,
		warner: &outageWarner{log: slog.New(slog.NewTextHandler(io.Discard, nil)), what: "rate limiter"}}
	ctx := context.Background()
	checks := []platformport.LimitCheck{{Key: "k", Limit: platformport.Limit{Max: 2, Window: time.Minute}, Take: true}}
	for i := range 2 {
		if v, err := f.Admit(ctx, checks, time.Minute); err != nil || !v.Admitted() {
			t.Fatalf("attempt %d: %+v %v", i, v, err)
		}
	}
	if v, err := f.Admit(ctx, checks, time.Minute); err != nil || v.Refused != 0 {
		t.Fatalf("the fallback must still refuse over the limit: %+v %v", v, err)
	}
}

// refuseAll is a shared gate that refuses at the first check it is asked,
// recording what it was asked.
type refuseAll struct{ asked []platformport.LimitCheck }

func (g *refuseAll) Admit(_ context.Context, checks []platformport.LimitCheck, _ time.Duration) (platformport.Verdict, error) {
	g.asked = checks
	if len(checks) == 0 {
		return platformport.Verdict{Refused: -1}, nil
	}
	return platformport.Verdict{Refused: len(checks) - 1, RetryAfter: time.Second}, nil
}

func TestFallbackGate_AClientKnownOnlyLocallyIsWaivedAndRefusalsKeepTheirIndex(t *testing.T) {
	clock := platformport.SystemClock
	known := platformmem.NewRecentSet(clock)
	shared := &refuseAll{}
	f := &fallbackGate{shared: shared, local: platformmem.NewGate(platformmem.NewRateLimiter(clock), known, platformmem.NewTally(clock)),
		localKnown: known, warner: &outageWarner{log: slog.New(slog.NewTextHandler(io.Discard, nil)), what: "rate limiter"}}
	ctx := context.Background()
	limit := platformport.Limit{Max: 1, Window: time.Minute}
	checks := []platformport.LimitCheck{
		{Key: "ip", Limit: limit, Take: true},
		{Key: "account", Limit: limit, WaiveSet: "known:acct", WaiveMember: "198.51.100.1"},
		{Key: "last", Limit: limit},
	}
	v, err := f.Admit(ctx, checks, time.Minute)
	if err != nil || v.Refused != 2 || len(shared.asked) != 3 {
		t.Fatalf("a client nobody knows: %+v %v, asked %d checks; want all asked, refused by 2", v, err, len(shared.asked))
	}
	// Signed in while Redis was down: only this instance remembers it.
	if err := known.Add(ctx, "known:acct", "198.51.100.1", time.Hour, 8); err != nil {
		t.Fatal(err)
	}
	v, err = f.Admit(ctx, checks, time.Minute)
	if err != nil || len(shared.asked) != 2 || shared.asked[1].Key != "last" || v.Refused != 2 {
		t.Fatalf("a locally known client: %+v %v, asked %+v; want the waived check left out and the refusal named by its own index", v, err, shared.asked)
	}
}
