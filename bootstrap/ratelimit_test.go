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
