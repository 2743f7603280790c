package auditapp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/secuird/authy/domain/audit"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/platformport"
)

// Sealer defaults. A wake-up seals at once, but passes are at least
// sealGap apart, so a busy instance seals in batches rather than one
// transaction per commit; after a failure the sealer backs off up to
// maxSealBackoff instead of hammering a database that is down.
const (
	DefaultSealInterval = 200 * time.Millisecond
	DefaultSealBatch    = 1000
	sealGap             = 50 * time.Millisecond
	maxSealBackoff      = 30 * time.Second
	finalSealTimeout    = 5 * time.Second
)

// SealerDeps are what a Sealer needs; Store is required.
type SealerDeps struct {
	Store auditport.Store
	// Meter counts sealed records (audit_records, outcome sealed); nil
	// counts nothing.
	Meter  platformport.Meter
	Logger *slog.Logger
	// Interval is the longest a committed record waits for a pass when no
	// wake-up comes, e.g. one written by another instance whose sealer is
	// down (default DefaultSealInterval).
	Interval time.Duration
	// BatchSize is how many records one sealing transaction takes (default
	// DefaultSealBatch).
	BatchSize int
}

// Sealer places committed audit records in the hash chain shortly after
// their commit. Every instance may run one; the store lets exactly one seal
// at a time, and the others find the head taken and try again a moment
// later (their records are sealed by whichever instance gets there first).
type Sealer struct {
	d    SealerDeps
	wake chan struct{}
}

// NewSealer returns a sealer over d.Store.
func NewSealer(d SealerDeps) (*Sealer, error) {
	if d.Store == nil {
		return nil, errors.New("audit sealer: the store is required")
	}
	if d.Meter == nil {
		d.Meter = platformport.NopMeter{}
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Interval <= 0 {
		d.Interval = DefaultSealInterval
	}
	if d.BatchSize <= 0 {
		d.BatchSize = DefaultSealBatch
	}
	return &Sealer{d: d, wake: make(chan struct{}, 1)}, nil
}

var _ auditport.Sealer = (*Sealer)(nil)

// Wake asks for a pass soon (the recorder calls it after each commit that
// wrote records). It never blocks; wake-ups that arrive during a pass
// coalesce into one.
func (s *Sealer) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// SealPending implements auditport.Sealer: batches until one comes back
// short, each its own transaction, so a failure loses at most the batch in
// flight (which rolls back whole and is sealed by the next pass).
func (s *Sealer) SealPending(ctx context.Context) (int64, error) {
	var total int64
	for {
		n, err := s.d.Store.Seal(ctx, s.d.BatchSize, sealBatch)
		if n > 0 {
			total += int64(n)
			s.d.Meter.Add(platformport.MetricAuditRecords, "sealed", n)
		}
		if err != nil {
			return total, fmt.Errorf("seal audit records: %w", err)
		}
		if n < s.d.BatchSize {
			return total, nil
		}
	}
}

func sealBatch(head audit.ChainHead, pending []audit.Record) ([]audit.Record, error) {
	recs, _, err := audit.SealPending(head, pending)
	return recs, err
}

// Run seals at once, then after every wake-up (no sooner than sealGap
// after the previous pass) or every Interval, until ctx ends; then it runs
// one last pass, so records committed while the server drained are sealed
// before it stops.
func (s *Sealer) Run(ctx context.Context) error {
	ticker := time.NewTicker(s.d.Interval)
	defer ticker.Stop()
	backoff := time.Duration(0)
	for {
		_, err := s.SealPending(ctx)
		switch {
		case err == nil || ctx.Err() != nil:
			backoff = 0
		case errors.Is(err, audit.ErrSealerBusy):
			// Another instance is sealing; its batch may have been read
			// before this instance's records committed, so look again soon.
			backoff = 0
			s.Wake()
		default:
			backoff = min(max(2*backoff, s.d.Interval), maxSealBackoff)
			s.d.Logger.ErrorContext(ctx, "audit sealing failed", "error", err.Error(), "retry_in", backoff.String())
		}
		wait := sealGap
		if backoff > 0 {
			wait = backoff
		}
		if !s.pause(ctx, wait) {
			return s.finish(ctx)
		}
		if backoff > 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return s.finish(ctx)
		case <-ticker.C:
		case <-s.wake:
		}
	}
}

// pause waits d or until ctx ends (false).
func (s *Sealer) pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (s *Sealer) finish(ctx context.Context) error {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalSealTimeout)
	defer cancel()
	if _, err := s.SealPending(fctx); err != nil && !errors.Is(err, audit.ErrSealerBusy) {
		s.d.Logger.ErrorContext(fctx, "audit sealing at shutdown failed; the next sealer seals the rest", "error", err.Error())
	}
	return nil
}
