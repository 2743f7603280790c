package auditporttest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/audit"
)

// waitLimit bounds every wait of the suite for another goroutine: a store
// that blocks where the contract says it must not fails instead of hanging.
const waitLimit = 30 * time.Second

func await[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitLimit):
		t.Fatalf("still waiting for %s after %s", what, waitLimit)
		var zero T
		return zero
	}
}

type sealResult struct {
	n   int
	err error
}

// blockingSeal is a sealing step that signals when the store has handed it
// a batch (the store then holds the chain head) and seals only once
// released.
func blockingSeal(in chan<- struct{}, release <-chan struct{}) func(audit.ChainHead, []audit.Record) ([]audit.Record, error) {
	return func(head audit.ChainHead, pending []audit.Record) ([]audit.Record, error) {
		close(in)
		<-release
		return sealPending(head, pending)
	}
}

var errForced = errors.New("forced failure after the change")

// testCommitOrder is the case that makes insert order unusable as chain
// order on PostgreSQL: a record inserted first commits after a later one
// was already sealed. It must be sealed next, not skipped. (A store that
// inserts at commit gives the early record the higher position here; its
// own tests commit positions out of order.)
func testCommitOrder(t *testing.T, h Harness) {
	if h.SerialWriters {
		t.Skip("one write transaction at a time: records commit in insert order")
	}
	ctx := context.Background()
	early := newEntry(t, spec{action: "auth.login.succeeded", actor: "early"})
	inserted, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- h.UoW.Transaction(ctx, func(ctx context.Context) error {
			if err := insertEntries(ctx, h.Store, early); err != nil {
				return err
			}
			close(inserted)
			<-release
			return nil
		})
	}()
	select {
	case <-inserted:
	case err := <-done:
		t.Fatalf("the early transaction ended before it was held open: %v", err)
	case <-time.After(waitLimit):
		t.Fatal("the early transaction did not insert")
	}
	late := mustInsert(t, h, spec{action: "auth.logout", actor: "late"})
	if n := sealAll(t, h); n != 1 {
		t.Fatalf("sealed %d records while the early one was uncommitted, want the 1 committed", n)
	}
	close(release)
	if err := await(t, done, "the early transaction"); err != nil {
		t.Fatal(err)
	}
	if b := backlog(t, h); b.Count != 1 {
		t.Fatalf("backlog after the early commit = %+v, want its record", b)
	}
	if n := sealAll(t, h); n != 1 {
		t.Fatalf("sealed %d records after the early commit, want 1", n)
	}
	recs := verifyChain(t, h)
	if !slices.Equal(ids(recs), []uuid.UUID{late[0].ID(), early.ID()}) {
		t.Fatalf("chain = %v, want the late record first (it committed first), then the early one", ids(recs))
	}
	if !h.InsertsAtCommit && recs[1].Pos() >= recs[0].Pos() {
		t.Fatal("the early record was inserted first, so its insert position must be lower")
	}
}

// testWritersDoNotWait: the chain head is the sealer's alone, so a writer
// commits while a sealer holds it.
func testWritersDoNotWait(t *testing.T, h Harness) {
	if h.SerialWriters {
		t.Skip("one write transaction at a time: a writer waits for the sealer's transaction")
	}
	ctx := context.Background()
	mustInsert(t, h, spec{action: "auth.logout", actor: "first"})
	in, release := make(chan struct{}), make(chan struct{})
	sealed := make(chan sealResult, 1)
	go func() {
		n, err := h.Store.Seal(ctx, 10, blockingSeal(in, release))
		sealed <- sealResult{n, err}
	}()
	await(t, in, "the sealer to hold the head")
	e := newEntry(t, spec{action: "auth.logout", actor: "second"})
	wrote := make(chan error, 1)
	go func() {
		wrote <- h.UoW.Transaction(ctx, func(ctx context.Context) error { return insertEntries(ctx, h.Store, e) })
	}()
	if err := await(t, wrote, "a writer while the sealer holds the head"); err != nil {
		t.Fatal(err)
	}
	close(release)
	if r := await(t, sealed, "the sealer"); r.err != nil || r.n != 1 {
		t.Fatalf("sealer: %d, %v", r.n, r.err)
	}
	if n := sealAll(t, h); n != 1 {
		t.Fatalf("sealed %d, want the record written meanwhile", n)
	}
	if recs := verifyChain(t, h); len(recs) != 2 {
		t.Fatalf("%d records in the chain, want 2", len(recs))
	}
}

func testConcurrentWritersAndSealers(t *testing.T, h Harness) {
	const writers, txPerWriter = 12, 6
	ctx := context.Background()
	type pair struct{ first, second audit.Entry }
	work := make([][]pair, writers)
	for w := range work {
		for i := 0; i < txPerWriter; i++ {
			actor := fmt.Sprintf("writer-%d-%d", w, i)
			work[w] = append(work[w], pair{
				newEntry(t, spec{action: "auth.login.succeeded", actor: actor}),
				newEntry(t, spec{action: "session.refreshed", actor: actor}),
			})
		}
	}
	stop := make(chan struct{})
	errs := make(chan error, writers+2)
	var sealers sync.WaitGroup
	for i := 0; i < 2; i++ {
		sealers.Add(1)
		go func() {
			defer sealers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := h.Store.Seal(ctx, 5, sealPending); err != nil && !errors.Is(err, audit.ErrSealerBusy) {
					errs <- fmt.Errorf("sealer: %w", err)
					return
				}
			}
		}()
	}
	var wg sync.WaitGroup
	for w := range work {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, p := range work[w] {
				err := h.UoW.Transaction(ctx, func(ctx context.Context) error {
					if err := h.Change(ctx, p.first.ID().String()); err != nil {
						return err
					}
					if err := insertEntries(ctx, h.Store, p.first); err != nil {
						return err
					}
					return insertEntries(ctx, h.Store, p.second)
				})
				if err != nil {
					errs <- fmt.Errorf("writer: %w", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	sealers.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	sealAll(t, h)
	recs := verifyChain(t, h)
	if len(recs) != 2*writers*txPerWriter {
		t.Fatalf("%d records in the chain, want %d", len(recs), 2*writers*txPerWriter)
	}
	at := map[uuid.UUID]int{}
	for i, r := range recs {
		if _, dup := at[r.ID()]; dup {
			t.Fatalf("record %s sealed twice", r.ID())
		}
		at[r.ID()] = i
	}
	for _, ws := range work {
		for _, p := range ws {
			i, ok1 := at[p.first.ID()]
			j, ok2 := at[p.second.ID()]
			if !ok1 || !ok2 || i >= j {
				t.Fatalf("a transaction's records are missing or out of the order it wrote them (%d, %d)", i, j)
			}
		}
	}
	if b := backlog(t, h); b.Count != 0 {
		t.Fatalf("backlog after sealing everything = %+v", b)
	}
	noStrays(t, h)
}

func testTwoSealers(t *testing.T, h Harness) {
	ctx := context.Background()
	var specs []spec
	for i := 0; i < 10; i++ {
		specs = append(specs, spec{action: "auth.logout", actor: fmt.Sprintf("u-%d", i)})
	}
	entries := mustInsert(t, h, specs...)
	in, release := make(chan struct{}), make(chan struct{})
	first := make(chan sealResult, 1)
	go func() {
		n, err := h.Store.Seal(ctx, 4, blockingSeal(in, release))
		first <- sealResult{n, err}
	}()
	await(t, in, "the first sealer to hold the head")
	second := make(chan sealResult, 1)
	go func() {
		n, err := h.Store.Seal(ctx, 100, sealPending)
		second <- sealResult{n, err}
	}()
	if h.SerialWriters {
		// The second waits for the write lock, then finds what is left.
		close(release)
		if r := await(t, first, "the first sealer"); r.err != nil || r.n != 4 {
			t.Fatalf("first sealer: %d, %v", r.n, r.err)
		}
		if r := await(t, second, "the second sealer"); r.err != nil || r.n != 6 {
			t.Fatalf("second sealer: %d, %v; want the 6 the first left", r.n, r.err)
		}
	} else {
		// The second learns at once that the head is taken.
		if r := await(t, second, "the second sealer to back off"); !errors.Is(r.err, audit.ErrSealerBusy) || r.n != 0 {
			t.Fatalf("second sealer while the first holds the head: %d, %v; want ErrSealerBusy", r.n, r.err)
		}
		close(release)
		if r := await(t, first, "the first sealer"); r.err != nil || r.n != 4 {
			t.Fatalf("first sealer: %d, %v", r.n, r.err)
		}
		if n := sealAll(t, h); n != 6 {
			t.Fatalf("sealed %d after the first, want 6", n)
		}
	}
	recs := verifyChain(t, h)
	want := make([]uuid.UUID, 0, len(entries))
	for _, e := range entries {
		want = append(want, e.ID())
	}
	if !slices.Equal(ids(recs), want) || !slices.Equal(sequences(recs), []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}) {
		t.Fatalf("chain = %v %v", sequences(recs), ids(recs))
	}
}

func testSealerStopped(t *testing.T, h Harness) {
	ctx := context.Background()
	mustAppend(t, h, spec{action: "auth.logout", actor: "sealed-before"})
	var specs []spec
	for i := 0; i < 5; i++ {
		specs = append(specs, spec{action: "auth.logout", actor: fmt.Sprintf("u-%d", i)})
	}
	entries := mustInsert(t, h, specs...)
	unchanged := func(t *testing.T, what string) {
		t.Helper()
		noStrays(t, h)
		if got := sequences(verifyChain(t, h)); !slices.Equal(got, []int64{1}) {
			t.Fatalf("%s: chain = %v, want only the record sealed before", what, got)
		}
		if b := backlog(t, h); b.Count != 5 {
			t.Fatalf("%s: backlog = %+v, want the 5 records still pending", what, b)
		}
	}

	// The sealing step fails after the store read the batch: rolled back.
	if _, err := h.Store.Seal(ctx, 10, func(audit.ChainHead, []audit.Record) ([]audit.Record, error) {
		return nil, errForced
	}); !errors.Is(err, errForced) {
		t.Fatalf("err = %v, want the forced failure", err)
	}
	unchanged(t, "a failed sealing step")

	// The sealer is stopped between sealing the batch and writing it.
	cctx, cancel := context.WithCancel(ctx)
	if _, err := h.Store.Seal(cctx, 10, func(head audit.ChainHead, pending []audit.Record) ([]audit.Record, error) {
		recs, err := sealPending(head, pending)
		cancel()
		return recs, err
	}); err == nil {
		t.Fatal("a sealer stopped mid-batch reported success")
	}
	unchanged(t, "a cancelled sealer")

	// The next run resumes from the same head and seals them all.
	if n := sealAll(t, h); n != 5 {
		t.Fatalf("the next run sealed %d, want 5", n)
	}
	recs := verifyChain(t, h)
	if len(recs) != 6 || recs[1].ID() != entries[0].ID() || recs[5].ID() != entries[4].ID() {
		t.Fatalf("chain after resuming = %v", ids(recs))
	}
}

func testChainMismatch(t *testing.T, h Harness) {
	ctx := context.Background()
	mustAppend(t, h, spec{action: "auth.logout", actor: "u"})
	mustInsert(t, h, spec{action: "auth.logout", actor: "v"}, spec{action: "auth.logout", actor: "w"})
	cases := map[string]func(head audit.ChainHead, pending []audit.Record) ([]audit.Record, error){
		"sealed on a stale head": func(_ audit.ChainHead, pending []audit.Record) ([]audit.Record, error) {
			return sealPending(audit.Genesis(), pending)
		},
		"a record left out": func(head audit.ChainHead, pending []audit.Record) ([]audit.Record, error) {
			return sealPending(head, pending[:1])
		},
		"content altered": func(head audit.ChainHead, pending []audit.Record) ([]audit.Record, error) {
			s := pending[0].State()
			s.ActorID = "mallory"
			return sealPending(head, append([]audit.Record{audit.RehydrateRecord(s)}, pending[1:]...))
		},
	}
	for name, seal := range cases {
		if _, err := h.Store.Seal(ctx, 10, seal); !errors.Is(err, audit.ErrChainMismatch) {
			t.Fatalf("%s: err = %v, want ErrChainMismatch", name, err)
		}
		if got := sequences(verifyChain(t, h)); !slices.Equal(got, []int64{1}) {
			t.Fatalf("%s: sequences = %v", name, got)
		}
	}
	if b := backlog(t, h); b.Count != 2 {
		t.Fatalf("backlog = %+v, want both records still pending", b)
	}
}

func testSealOwnTx(t *testing.T, h Harness) {
	mustInsert(t, h, spec{action: "auth.logout", actor: "u"})
	err := h.UoW.Transaction(context.Background(), func(ctx context.Context) error {
		_, err := h.Store.Seal(ctx, 10, sealPending)
		return err
	})
	if err == nil {
		t.Fatal("Seal inside a caller's transaction must be refused")
	}
	if b := backlog(t, h); b.Count != 1 {
		t.Fatalf("backlog = %+v", b)
	}
}

func testRollback(t *testing.T, h Harness) {
	ctx := context.Background()
	key := uuid.NewString()
	err := h.UoW.Transaction(ctx, func(ctx context.Context) error {
		if err := h.Change(ctx, key); err != nil {
			return err
		}
		if err := insertEntries(ctx, h.Store, newEntry(t, spec{action: "user.profile.updated", actor: "u"})); err != nil {
			return err
		}
		return errForced
	})
	if !errors.Is(err, errForced) {
		t.Fatalf("err = %v, want the forced failure", err)
	}
	if kept, err := h.Changed(ctx, key); err != nil || kept {
		t.Fatalf("change kept = %v (%v) after rollback", kept, err)
	}
	if recs := listed(t, h); len(recs) != 0 {
		t.Fatalf("%d records kept after rollback", len(recs))
	}
	if n := sealAll(t, h); n != 0 {
		t.Fatalf("the sealer found %d records of a rolled-back transaction", n)
	}

	// The same unit of work without the failure keeps both, and the record
	// is sealed at the start of the chain.
	key2 := uuid.NewString()
	err = h.UoW.Transaction(ctx, func(ctx context.Context) error {
		if err := h.Change(ctx, key2); err != nil {
			return err
		}
		return insertEntries(ctx, h.Store, newEntry(t, spec{action: "user.profile.updated", actor: "u"}))
	})
	if err != nil {
		t.Fatal(err)
	}
	if kept, err := h.Changed(ctx, key2); err != nil || !kept {
		t.Fatalf("committed change kept = %v (%v)", kept, err)
	}
	if n := sealAll(t, h); n != 1 {
		t.Fatalf("sealed %d, want the committed record", n)
	}
	if got := sequences(verifyChain(t, h)); !slices.Equal(got, []int64{1}) {
		t.Fatalf("sequences = %v, want [1]", got)
	}
}
