package oauthpg

import (
	"context"
	"sync"
	"time"
)

// combiner runs concurrent calls of one kind as batches: a call that finds
// a free slot runs at once, with the calls queued before it; a call that
// finds every slot busy queues, and the next slot to free up runs it with
// everything else that queued meanwhile, up to max at a time. Under light
// load every call runs alone and at once; under heavy load one statement
// and one round trip serve many requests, where each paid its own before.
//
// Each batch starts after every call in it was queued, so what it reads or
// writes is what a statement of the call's own, run then, would have.
type combiner[In, Out any] struct {
	max int
	// run executes one batch and returns, per call, its result or error.
	run func(ctx context.Context, ins []In) ([]Out, []error)
	// bound is the deadline of a batch none of whose callers has one.
	bound time.Duration

	mu    sync.Mutex
	queue []*combined[In, Out]
	free  int
}

type combined[In, Out any] struct {
	ctx  context.Context
	in   In
	out  Out
	err  error
	done chan struct{}
}

func newCombiner[In, Out any](slots, max int, bound time.Duration, run func(context.Context, []In) ([]Out, []error)) *combiner[In, Out] {
	return &combiner[In, Out]{max: max, run: run, bound: bound, free: slots}
}

// do queues in and waits for its result, or for ctx to end.
func (b *combiner[In, Out]) do(ctx context.Context, in In) (Out, error) {
	c := &combined[In, Out]{ctx: ctx, in: in, done: make(chan struct{})}
	b.mu.Lock()
	b.queue = append(b.queue, c)
	lead := b.free > 0
	if lead {
		b.free--
	}
	b.mu.Unlock()
	if lead {
		b.drain(c)
	}
	select {
	case <-c.done:
		return c.out, c.err
	case <-ctx.Done():
		var zero Out
		return zero, ctx.Err()
	}
}

// drain runs batches on the slot it holds until own's batch ran; then the
// slot goes on serving the queue in a goroutine of its own, so the caller
// answers its request without waiting for later ones.
func (b *combiner[In, Out]) drain(own *combined[In, Out]) {
	for {
		batch := b.take()
		if batch == nil {
			return
		}
		b.execute(batch)
		select {
		case <-own.done:
			go b.serve()
			return
		default:
		}
	}
}

// serve runs batches until the queue is empty, then frees the slot.
func (b *combiner[In, Out]) serve() {
	for {
		batch := b.take()
		if batch == nil {
			return
		}
		b.execute(batch)
	}
}

// take removes the next batch from the queue, or frees the slot and returns
// nil when the queue is empty.
func (b *combiner[In, Out]) take() []*combined[In, Out] {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queue) == 0 {
		b.free++
		return nil
	}
	n := min(len(b.queue), b.max)
	batch := make([]*combined[In, Out], n)
	copy(batch, b.queue)
	rest := copy(b.queue, b.queue[n:])
	clear(b.queue[rest:])
	b.queue = b.queue[:rest]
	return batch
}

// execute runs one batch under the latest deadline of its callers (or the
// bound when one has none) and hands every caller its result. A caller
// whose context already ended is left out.
func (b *combiner[In, Out]) execute(batch []*combined[In, Out]) {
	live := batch[:0:0]
	var deadline time.Time
	unbounded := false
	for _, c := range batch {
		if c.ctx.Err() != nil {
			c.err = c.ctx.Err()
			close(c.done)
			continue
		}
		live = append(live, c)
		if d, ok := c.ctx.Deadline(); !ok {
			unbounded = true
		} else if d.After(deadline) {
			deadline = d
		}
	}
	if len(live) == 0 {
		return
	}
	if unbounded || deadline.IsZero() {
		deadline = time.Now().Add(b.bound)
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	ins := make([]In, len(live))
	for i, c := range live {
		ins[i] = c.in
	}
	outs, errs := b.run(ctx, ins)
	for i, c := range live {
		c.out, c.err = outs[i], errs[i]
		close(c.done)
	}
}
