package oauthpg

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A call alone runs at once, alone; calls that queue while every slot is
// busy run together in the next batch, each getting its own result.
func TestCombiner_BatchesWhatQueuedWhileSlotsWereBusy(t *testing.T) {
	release := make(chan struct{})
	var (
		mu      sync.Mutex
		batches [][]int
	)
	b := newCombiner(1, 8, time.Second, func(_ context.Context, ins []int) ([]int, []error) {
		mu.Lock()
		batches = append(batches, append([]int(nil), ins...))
		first := len(batches) == 1
		mu.Unlock()
		if first {
			<-release
		}
		outs, errs := make([]int, len(ins)), make([]error, len(ins))
		for i, in := range ins {
			outs[i] = in * 10
			if in == 3 {
				errs[i] = errors.New("three")
			}
		}
		return outs, errs
	})
	ctx := context.Background()
	var wg sync.WaitGroup
	results := make([]int, 5)
	failures := make([]error, 5)
	wg.Add(1)
	go func() { defer wg.Done(); results[0], failures[0] = b.do(ctx, 0) }()
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(batches) == 1 })
	for i := 1; i < 5; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); results[i], failures[i] = b.do(ctx, i) }()
	}
	waitFor(t, func() bool { b.mu.Lock(); defer b.mu.Unlock(); return len(b.queue) == 4 })
	close(release)
	wg.Wait()
	if len(batches) != 2 || len(batches[0]) != 1 || len(batches[1]) != 4 {
		t.Fatalf("batches %v, want [[0] [1 2 3 4]] in some order within the second", batches)
	}
	for i := range 5 {
		if i == 3 {
			if failures[i] == nil || failures[i].Error() != "three" {
				t.Fatalf("call 3: error %v, want its own", failures[i])
			}
			continue
		}
		if failures[i] != nil || results[i] != i*10 {
			t.Fatalf("call %d: %d, %v", i, results[i], failures[i])
		}
	}
	waitFor(t, func() bool { b.mu.Lock(); defer b.mu.Unlock(); return b.free == 1 && len(b.queue) == 0 })
}

// A batch never carries more than max calls, and every call is answered.
func TestCombiner_SplitsAtMaxAndAnswersEveryCall(t *testing.T) {
	var largest atomic.Int64
	b := newCombiner(2, 3, time.Second, func(_ context.Context, ins []int) ([]int, []error) {
		if n := int64(len(ins)); n > largest.Load() {
			largest.Store(n)
		}
		time.Sleep(time.Millisecond)
		return append([]int(nil), ins...), make([]error, len(ins))
	})
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := b.do(context.Background(), i)
			if err != nil || out != i {
				t.Errorf("call %d: %d, %v", i, out, err)
			}
		}()
	}
	wg.Wait()
	if largest.Load() > 3 {
		t.Fatalf("a batch of %d calls, max is 3", largest.Load())
	}
	waitFor(t, func() bool { b.mu.Lock(); defer b.mu.Unlock(); return b.free == 2 && len(b.queue) == 0 })
}

// A caller whose context ends stops waiting; a batch runs under the latest
// deadline of its callers, and a caller already gone is left out of it.
func TestCombiner_CallerContexts(t *testing.T) {
	release := make(chan struct{})
	var seen [][]int
	var deadlines []time.Time
	var mu sync.Mutex
	b := newCombiner(1, 8, time.Minute, func(ctx context.Context, ins []int) ([]int, []error) {
		d, _ := ctx.Deadline()
		mu.Lock()
		seen = append(seen, append([]int(nil), ins...))
		deadlines = append(deadlines, d)
		first := len(seen) == 1
		mu.Unlock()
		if first {
			<-release
		}
		return make([]int, len(ins)), make([]error, len(ins))
	})
	done := make(chan struct{})
	go func() { _, _ = b.do(context.Background(), 0); close(done) }()
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(seen) == 1 })

	gone, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, err := b.do(gone, 1); errc <- err }()
	far := time.Now().Add(30 * time.Second)
	farCtx, cancelFar := context.WithDeadline(context.Background(), far)
	defer cancelFar()
	nearCtx, cancelNear := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancelNear()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _, _ = b.do(farCtx, 2) }()
	go func() { defer wg.Done(); _, _ = b.do(nearCtx, 3) }()
	waitFor(t, func() bool { b.mu.Lock(); defer b.mu.Unlock(); return len(b.queue) == 3 })
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled caller got %v", err)
	}
	close(release)
	<-done
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || len(seen[1]) != 2 {
		t.Fatalf("batches %v: the cancelled call must be left out", seen)
	}
	if !deadlines[1].Equal(far) {
		t.Fatalf("batch deadline %v, want the latest caller's %v", deadlines[1], far)
	}
	if time.Until(deadlines[0]) < 50*time.Second {
		t.Fatalf("a batch of callers without deadlines runs under the bound, got %v", time.Until(deadlines[0]))
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not reached")
}
