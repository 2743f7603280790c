package auditapp_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/pgstore/auditpg"
	"github.com/secuird/authy/application/auditapp"
	"github.com/secuird/authy/domain/audit"
	"github.com/secuird/authy/ports/auditport"
)

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting: %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func pending(t *testing.T, s auditport.Store) int64 {
	t.Helper()
	b, err := s.Backlog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return b.Count
}

// running starts sealer.Run and returns a stop function that waits for it.
func running(t *testing.T, sealer *auditapp.Sealer) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sealer.Run(ctx) }()
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("sealer: %v", err)
		}
	}
	t.Cleanup(func() {
		if ctx.Err() == nil {
			stop()
		}
	})
	return stop
}

func TestSealer_SealsEveryCommittedRecordInBatchesAndCountsThem(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < 8; i++ {
		if err := f.rec.Record(requestCtx(), auditport.Event{Action: "auth.logout", ActorID: "u"}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := f.sealer.SealPending(context.Background())
	if err != nil || n != 8 {
		t.Fatalf("sealed %d, %v; want 8 (in batches of 3)", n, err)
	}
	if got := f.meter.get("audit_records/sealed"); got != 8 {
		t.Fatalf("sealed counted %d", got)
	}
	rep, err := auditapp.NewAdmin(f.store).Verify(context.Background(), 0)
	if err != nil || rep.Break != nil || rep.Checked != 8 || rep.Unsealed != 0 {
		t.Fatalf("after sealing: %+v %v", rep, err)
	}
}

// A commit wakes the local sealer: with an interval far beyond the test,
// only the wake-up can seal the record.
func TestSealer_ACommitWakesTheSealerWhichSealsTheRecordSoonAfter(t *testing.T) {
	f := newFixture(t)
	sealer, err := auditapp.NewSealer(auditapp.SealerDeps{Store: f.store, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	f.rec.AfterCommit(sealer.Wake)
	running(t, sealer)
	for i := 0; i < 3; i++ {
		if err := f.rec.Record(requestCtx(), auditport.Event{Action: "auth.logout", ActorID: "u"}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the woken sealer seals the record", func() bool { return pending(t, f.store) == 0 })
	}
	if head, _ := f.store.Head(context.Background()); head.Sequence() != 3 {
		t.Fatalf("head at %d, want 3", head.Sequence())
	}
}

// Records another instance wrote (no local wake-up) are sealed at the next
// tick.
func TestSealer_TheIntervalSealsRecordsNoWakeUpAnnounced(t *testing.T) {
	f := newFixture(t)
	sealer, err := auditapp.NewSealer(auditapp.SealerDeps{Store: f.store, Interval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	running(t, sealer)
	if err := f.rec.Record(requestCtx(), auditport.Event{Action: "auth.logout", ActorID: "u"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the ticking sealer seals the record", func() bool { return pending(t, f.store) == 0 })
}

func TestSealer_StoppingRunsALastPass(t *testing.T) {
	f := newFixture(t)
	sealer, err := auditapp.NewSealer(auditapp.SealerDeps{Store: f.store, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	stop := running(t, sealer)
	// The first pass may or may not have run; this record has no wake-up.
	if err := f.rec.Record(requestCtx(), auditport.Event{Action: "auth.logout", ActorID: "u"}); err != nil {
		t.Fatal(err)
	}
	stop()
	if n := pending(t, f.store); n != 0 {
		t.Fatalf("%d records left unsealed by a stopped sealer", n)
	}
}

// flakyStore fails the sealing step or reports the head taken, a given
// number of times, then behaves.
type flakyStore struct {
	*auditpg.Store
	failures atomic.Int32
	busy     atomic.Int32
	calls    atomic.Int32
}

func (s *flakyStore) Seal(ctx context.Context, limit int, seal func(audit.ChainHead, []audit.Record) ([]audit.Record, error)) (int, error) {
	s.calls.Add(1)
	if s.busy.Add(-1) >= 0 {
		return 0, audit.ErrSealerBusy
	}
	return s.Store.Seal(ctx, limit, func(head audit.ChainHead, p []audit.Record) ([]audit.Record, error) {
		if s.failures.Add(-1) >= 0 {
			return nil, errors.New("the sealer's process died mid-batch")
		}
		return seal(head, p)
	})
}

func TestSealer_AFailedBatchIsSealedWholeByTheNextPass(t *testing.T) {
	f := newFixture(t)
	flaky := &flakyStore{Store: f.store}
	flaky.failures.Store(1)
	sealer, err := auditapp.NewSealer(auditapp.SealerDeps{Store: flaky, BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if err := f.rec.Record(requestCtx(), auditport.Event{Action: "auth.logout", ActorID: "u"}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := sealer.SealPending(context.Background()); err == nil || n != 0 {
		t.Fatalf("first pass: %d, %v; want the failure and nothing sealed", n, err)
	}
	if got := pending(t, f.store); got != 5 {
		t.Fatalf("%d pending after the failed batch, want 5", got)
	}
	if n, err := sealer.SealPending(context.Background()); err != nil || n != 5 {
		t.Fatalf("next pass: %d, %v", n, err)
	}
	rep, err := auditapp.NewAdmin(f.store).Verify(context.Background(), 0)
	if err != nil || rep.Break != nil || rep.Checked != 5 {
		t.Fatalf("%+v %v", rep, err)
	}
}

// When another instance holds the head, the sealer looks again soon rather
// than at its next tick: that instance may have read its batch before
// these records committed.
func TestSealer_FindingTheHeadTakenItTriesAgainSoon(t *testing.T) {
	f := newFixture(t)
	flaky := &flakyStore{Store: f.store}
	flaky.busy.Store(2)
	sealer, err := auditapp.NewSealer(auditapp.SealerDeps{Store: flaky, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.rec.Record(requestCtx(), auditport.Event{Action: "auth.logout", ActorID: "u"}); err != nil {
		t.Fatal(err)
	}
	running(t, sealer)
	eventually(t, "the sealer retries after finding the head taken", func() bool { return pending(t, f.store) == 0 })
	if flaky.calls.Load() < 3 {
		t.Fatalf("%d sealing calls, want two refused and one that sealed", flaky.calls.Load())
	}
}

func TestSealer_ConcurrentRecordersAndTwoSealersKeepOneChain(t *testing.T) {
	f := newFixture(t)
	var sealers []*auditapp.Sealer
	for i := 0; i < 2; i++ {
		s, err := auditapp.NewSealer(auditapp.SealerDeps{Store: f.store, Interval: 5 * time.Millisecond, BatchSize: 4})
		if err != nil {
			t.Fatal(err)
		}
		sealers = append(sealers, s)
		running(t, s)
	}
	f.rec.AfterCommit(func() {
		for _, s := range sealers {
			s.Wake()
		}
	})
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				if err := f.rec.Record(requestCtx(), auditport.Event{Action: "auth.logout", ActorID: uuid.NewString()}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	eventually(t, "everything is sealed", func() bool { return pending(t, f.store) == 0 })
	rep, err := auditapp.NewAdmin(f.store).Verify(context.Background(), 7)
	if err != nil || rep.Break != nil || rep.Checked != 200 || rep.HeadSequence != 200 {
		t.Fatalf("%+v %v", rep, err)
	}
}

func TestRecorder_WakesTheSealerOnlyAfterACommit(t *testing.T) {
	f := newFixture(t)
	var wakes atomic.Int32
	f.rec.AfterCommit(func() { wakes.Add(1) })
	_ = f.db.Transaction(context.Background(), func(ctx context.Context) error {
		if err := f.rec.Record(ctx, auditport.Event{Action: "auth.logout", ActorID: "u"}); err != nil {
			return err
		}
		if wakes.Load() != 0 {
			t.Error("woke the sealer before the commit")
		}
		return errors.New("rolled back")
	})
	if wakes.Load() != 0 {
		t.Fatal("a rolled-back transaction woke the sealer")
	}
	if err := f.rec.Record(requestCtx(), auditport.Event{Action: "auth.logout", ActorID: "u"}); err != nil {
		t.Fatal(err)
	}
	if wakes.Load() != 1 {
		t.Fatalf("%d wake-ups after one commit", wakes.Load())
	}
}

func TestVerify_ReportsRecordsAwaitingTheSealer(t *testing.T) {
	f := newFixture(t)
	seed(t, f, auditport.Event{Action: "auth.logout", ActorID: "u"}, auditport.Event{Action: "auth.logout", ActorID: "u"})
	f.sealed(t)
	seed(t, f, auditport.Event{Action: "session.refreshed", ActorID: "u"}, auditport.Event{Action: "session.refreshed", ActorID: "u"},
		auditport.Event{Action: "session.refreshed", ActorID: "u"})
	rep, err := auditapp.NewAdmin(f.store).Verify(context.Background(), 0)
	if err != nil || rep.Break != nil || rep.Checked != 2 || rep.HeadSequence != 2 {
		t.Fatalf("%+v %v", rep, err)
	}
	if rep.Unsealed != 3 || !rep.OldestUnsealed.Equal(now.Truncate(time.Microsecond)) {
		t.Fatalf("unsealed %d oldest %v, want 3 from %v", rep.Unsealed, rep.OldestUnsealed, now)
	}
}

// headStore answers an older head than the one stored: the records beyond
// it look sealed by something other than the sealer (or the head was moved
// back to hide them).
type headStore struct {
	*auditpg.Store
	head audit.ChainHead
}

func (s headStore) Head(context.Context) (audit.ChainHead, error) { return s.head, nil }

func TestVerify_FindsARecordSealedBeyondTheHead(t *testing.T) {
	f := newFixture(t)
	seed(t, f, auditport.Event{Action: "auth.logout", ActorID: "u"}, auditport.Event{Action: "auth.logout", ActorID: "u"},
		auditport.Event{Action: "auth.logout", ActorID: "u"})
	recs := f.sealed(t)
	stale := audit.RehydrateChainHead(2, recs[1].Hash())
	rep, err := auditapp.NewAdmin(headStore{Store: f.store, head: stale}).Verify(context.Background(), 2)
	if err != nil || rep.Break == nil || rep.Break.Sequence != 3 || rep.Break.ID != recs[2].ID() ||
		!strings.Contains(rep.Break.Problem, "beyond the chain head") {
		t.Fatalf("%+v %v", rep, err)
	}
}

// strayStore reports a record outside the chain and its queue.
type strayStore struct {
	*auditpg.Store
	stray uuid.UUID
}

func (s strayStore) Strays(context.Context) (auditport.Strays, error) {
	return auditport.Strays{Count: 1, First: s.stray}, nil
}

func TestVerify_ARecordTheSealerCannotReachBreaksTheChain(t *testing.T) {
	f := newFixture(t)
	seed(t, f, auditport.Event{Action: "auth.logout", ActorID: "u"})
	f.sealed(t)
	stray := uuid.New()
	rep, err := auditapp.NewAdmin(strayStore{Store: f.store, stray: stray}).Verify(context.Background(), 0)
	if err != nil || rep.Break == nil || rep.Break.Sequence != 0 || rep.Break.ID != stray || rep.Checked != 1 ||
		!strings.Contains(rep.Break.Problem, "neither in the chain nor awaiting the sealer") {
		t.Fatalf("%+v %v", rep, err)
	}
}
