// Package mailporttest holds the executable contract of mailport's outbox.
// Every backend (the GORM adapter on SQLite and on PostgreSQL) runs the same
// suite: not-found and uniqueness, an Add that commits and rolls back with
// its caller's transaction, deduplication by key that leaves the caller's
// transaction usable, the due order, leases that expire and resume, settling
// only under one's own lease, and racing workers that claim every message
// exactly once.
package mailporttest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/mail"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/mailport"
)

// Harness is one empty backend.
type Harness struct {
	Outbox mailport.Outbox
	// Transaction runs fn in a transaction carried by the ctx fn receives,
	// the way a caller's unit of work does: an error from fn rolls back.
	Transaction func(ctx context.Context, fn func(ctx context.Context) error) error
}

// base is the suite's clock; times are whole microseconds, as every store
// keeps them.
var base = time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)

var errBoom = errors.New("boom")

// OutboxContract checks a mailport.Outbox. newHarness must return an empty
// backend of its own for each call.
func OutboxContract(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Helper()
	ctx := context.Background()

	t.Run("stores a message and reads every field back", func(t *testing.T) {
		h := newHarness(t)
		m := message(t, base.Add(123456*time.Microsecond), func(d *mail.Draft) {
			d.Locale, d.Key, d.DiscardAfter = "de-CH", "verify:"+uuid.NewString(), base.Add(time.Hour+7*time.Microsecond)
		})
		id, added, err := h.Outbox.Add(ctx, m)
		if err != nil || !added || id != m.ID() {
			t.Fatalf("add: %v %v %v", id, added, err)
		}
		got := get(t, h, m.ID())
		sameState(t, got.State(), m.State())
	})

	t.Run("an unknown message is not found", func(t *testing.T) {
		h := newHarness(t)
		if _, err := h.Outbox.Get(ctx, mail.MessageID(uuid.New())); !errors.Is(err, mail.ErrMessageNotFound) {
			t.Fatalf("want ErrMessageNotFound, got %v", err)
		}
	})

	t.Run("a message id is stored once", func(t *testing.T) {
		h := newHarness(t)
		m := message(t, base)
		add(t, h, m)
		if _, _, err := h.Outbox.Add(ctx, m); !errors.Is(err, mail.ErrMessageExists) {
			t.Fatalf("want ErrMessageExists, got %v", err)
		}
	})

	t.Run("a key already queued answers the first message and keeps the caller's transaction usable", func(t *testing.T) {
		h := newHarness(t)
		key := "invite:" + uuid.NewString()
		first := message(t, base, withKey(key))
		add(t, h, first)
		other := message(t, base)
		err := h.Transaction(ctx, func(ctx context.Context) error {
			id, added, err := h.Outbox.Add(ctx, message(t, base, withKey(key)))
			if err != nil {
				return err
			}
			if added || id != first.ID() {
				return fmt.Errorf("duplicate key: id %v added %v, want %v and false", id, added, first.ID())
			}
			// The transaction must still work after the skipped insert.
			_, _, err = h.Outbox.Add(ctx, other)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		get(t, h, other.ID())
		if b := backlog(t, h); b.Pending != 2 {
			t.Fatalf("backlog %+v, want 2 pending", b)
		}
	})

	t.Run("messages without a key never collide", func(t *testing.T) {
		h := newHarness(t)
		add(t, h, message(t, base))
		add(t, h, message(t, base))
		if b := backlog(t, h); b.Pending != 2 {
			t.Fatalf("backlog %+v", b)
		}
	})

	t.Run("add rolls back with the caller's transaction", func(t *testing.T) {
		h := newHarness(t)
		m := message(t, base, withKey("rollback:"+uuid.NewString()))
		err := h.Transaction(ctx, func(ctx context.Context) error {
			if _, _, err := h.Outbox.Add(ctx, m); err != nil {
				return err
			}
			return errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Fatalf("want the closure's error, got %v", err)
		}
		if _, err := h.Outbox.Get(ctx, m.ID()); !errors.Is(err, mail.ErrMessageNotFound) {
			t.Fatalf("a rolled-back message is stored: %v", err)
		}
		if got := claim(t, h, "w", base.Add(time.Hour), 10); len(got) != 0 {
			t.Fatalf("a rolled-back message was claimed: %v", ids(got))
		}
		// Its key is free again.
		if _, added, err := h.Outbox.Add(ctx, message(t, base, withKey(m.Key()))); err != nil || !added {
			t.Fatalf("the key of a rolled-back message must be free: %v %v", added, err)
		}
	})

	t.Run("add commits with the caller's transaction", func(t *testing.T) {
		h := newHarness(t)
		a, b := message(t, base), message(t, base)
		err := h.Transaction(ctx, func(ctx context.Context) error {
			for _, m := range []*mail.Message{a, b} {
				if _, _, err := h.Outbox.Add(ctx, m); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		get(t, h, a.ID())
		get(t, h, b.ID())
	})

	t.Run("claim returns due messages oldest first, at most the limit", func(t *testing.T) {
		h := newHarness(t)
		late := message(t, base.Add(2*time.Minute))
		first := message(t, base)
		second := message(t, base.Add(time.Minute))
		future := message(t, base.Add(time.Hour))
		for _, m := range []*mail.Message{late, first, second, future} {
			add(t, h, m)
		}
		got := claim(t, h, "w1", base.Add(2*time.Minute), 2)
		if len(got) != 2 || got[0].ID() != first.ID() || got[1].ID() != second.ID() {
			t.Fatalf("claimed %v, want %v %v", ids(got), first.ID(), second.ID())
		}
		got = claim(t, h, "w2", base.Add(2*time.Minute), 10)
		if len(got) != 1 || got[0].ID() != late.ID() {
			t.Fatalf("claimed %v, want only %v (the rest are leased or not due)", ids(got), late.ID())
		}
		sameState(t, got[0].State(), late.State())
	})

	t.Run("a leased message is claimed again only once its lease expires", func(t *testing.T) {
		h := newHarness(t)
		m := message(t, base)
		add(t, h, m)
		got := claim(t, h, "crashed", base, 10)
		if len(got) != 1 {
			t.Fatalf("claimed %v", ids(got))
		}
		if got := claim(t, h, "other", base.Add(time.Minute-time.Microsecond), 10); len(got) != 0 {
			t.Fatalf("claimed %v while the lease runs", ids(got))
		}
		got = claim(t, h, "other", base.Add(time.Minute), 10)
		if len(got) != 1 || got[0].ID() != m.ID() || got[0].Attempts() != 0 {
			t.Fatalf("after the lease: %v", ids(got))
		}
		// The crashed worker wakes up: its lease is gone.
		late := got[0]
		if err := late.MarkSent(base.Add(time.Minute), mail.ChannelSMTP); err != nil {
			t.Fatal(err)
		}
		if err := h.Outbox.Settle(ctx, "crashed", late); !errors.Is(err, mail.ErrLeaseLost) {
			t.Fatalf("settle under a lost lease: want ErrLeaseLost, got %v", err)
		}
		if err := h.Outbox.Settle(ctx, "other", late); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("settling as sent ends the message and drops its data", func(t *testing.T) {
		h := newHarness(t)
		m := message(t, base)
		add(t, h, m)
		c := claim(t, h, "w", base, 1)[0]
		if err := c.MarkSent(base.Add(time.Second), mail.ChannelLog); err != nil {
			t.Fatal(err)
		}
		if err := h.Outbox.Settle(ctx, "w", c); err != nil {
			t.Fatal(err)
		}
		got := get(t, h, m.ID())
		if got.Status() != mail.StatusSent || got.Channel() != mail.ChannelLog || !got.SettledAt().Equal(base.Add(time.Second)) || len(got.Data()) != 0 {
			t.Fatalf("stored %+v", got.State())
		}
		if again := claim(t, h, "w", base.Add(24*time.Hour), 10); len(again) != 0 {
			t.Fatalf("a sent message was claimed again: %v", ids(again))
		}
		// A second settle (a worker that lost track) changes nothing.
		if err := h.Outbox.Settle(ctx, "w", c); !errors.Is(err, mail.ErrLeaseLost) {
			t.Fatalf("want ErrLeaseLost for a settled message, got %v", err)
		}
		if b := backlog(t, h); b.Pending != 0 || !b.OldestCreatedAt.IsZero() {
			t.Fatalf("backlog %+v", b)
		}
	})

	t.Run("settling a failure reschedules the message with its attempts", func(t *testing.T) {
		h := newHarness(t)
		m := message(t, base)
		add(t, h, m)
		c := claim(t, h, "w", base, 1)[0]
		if err := c.RecordFailure(base, "451 4.3.0 try again later", mail.DefaultRetryPolicy); err != nil {
			t.Fatal(err)
		}
		if err := h.Outbox.Settle(ctx, "w", c); err != nil {
			t.Fatal(err)
		}
		if got := claim(t, h, "w", base.Add(5*time.Second-time.Microsecond), 10); len(got) != 0 {
			t.Fatalf("claimed before the backoff ended: %v", ids(got))
		}
		got := claim(t, h, "w2", base.Add(5*time.Second), 10)
		if len(got) != 1 || got[0].Attempts() != 1 || got[0].LastError() != "451 4.3.0 try again later" || string(got[0].Data()) != string(m.Data()) {
			t.Fatalf("after the backoff: %+v", got)
		}
	})

	t.Run("settling an expired message gives it up", func(t *testing.T) {
		h := newHarness(t)
		m := message(t, base, func(d *mail.Draft) { d.DiscardAfter = base.Add(time.Minute) })
		add(t, h, m)
		c := claim(t, h, "w", base.Add(time.Minute), 1)[0]
		if err := c.Expire(base.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := h.Outbox.Settle(ctx, "w", c); err != nil {
			t.Fatal(err)
		}
		if got := get(t, h, m.ID()); got.Status() != mail.StatusExpired || len(got.Data()) != 0 || !got.Channel().IsZero() {
			t.Fatalf("stored %+v", got.State())
		}
	})

	t.Run("backlog counts pending messages and dates the oldest", func(t *testing.T) {
		h := newHarness(t)
		if b := backlog(t, h); b.Pending != 0 || !b.OldestCreatedAt.IsZero() {
			t.Fatalf("empty backlog %+v", b)
		}
		add(t, h, message(t, base.Add(time.Minute)))
		add(t, h, message(t, base.Add(3*time.Microsecond)))
		add(t, h, message(t, base.Add(time.Hour)))
		if b := backlog(t, h); b.Pending != 3 || !b.OldestCreatedAt.Equal(base.Add(3*time.Microsecond)) {
			t.Fatalf("backlog %+v", b)
		}
	})

	t.Run("racing workers claim every message exactly once", func(t *testing.T) {
		h := newHarness(t)
		const workers, n = 4, 50
		for i := 0; i < n; i++ {
			add(t, h, message(t, base.Add(time.Duration(i)*time.Microsecond)))
		}
		var mu sync.Mutex
		claimed := map[mail.MessageID]string{}
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := 0; w < workers; w++ {
			owner := fmt.Sprintf("worker-%d", w)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					got, err := h.Outbox.Claim(ctx, mailport.ClaimRequest{Owner: owner, Now: base.Add(time.Second), Lease: time.Hour, Limit: 3})
					if err != nil {
						errs <- err
						return
					}
					if len(got) == 0 {
						return
					}
					for _, m := range got {
						mu.Lock()
						prev, twice := claimed[m.ID()]
						claimed[m.ID()] = owner
						mu.Unlock()
						if twice {
							errs <- fmt.Errorf("%s claimed by %s and %s", m.ID(), prev, owner)
							return
						}
						if err := m.MarkSent(base.Add(time.Second), mail.ChannelSMTP); err != nil {
							errs <- err
							return
						}
						if err := h.Outbox.Settle(ctx, owner, m); err != nil {
							errs <- fmt.Errorf("settle %s by %s: %w", m.ID(), owner, err)
							return
						}
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if len(claimed) != n {
			t.Fatalf("%d of %d messages claimed", len(claimed), n)
		}
		if b := backlog(t, h); b.Pending != 0 {
			t.Fatalf("backlog after the race %+v", b)
		}
	})
}

// Email returns the canonical form of s, failing the test if it is not an
// address.
func Email(t testing.TB, s string) shared.Email {
	t.Helper()
	e, reason := shared.ParseEmail(s)
	if reason != "" {
		t.Fatalf("%q: %s", s, reason)
	}
	return e
}

func withKey(k string) func(*mail.Draft) { return func(d *mail.Draft) { d.Key = k } }

func message(t *testing.T, created time.Time, edit ...func(*mail.Draft)) *mail.Message {
	t.Helper()
	d := mail.Draft{
		To: Email(t, "Someone+"+uuid.NewString()[:8]+"@Example.org"), Template: mail.TemplatePasswordReset,
		Data: []byte("v1:sealed:" + uuid.NewString()),
	}
	for _, e := range edit {
		e(&d)
	}
	m, err := mail.NewMessage(mail.MessageID(uuid.New()), d, created)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func add(t *testing.T, h Harness, m *mail.Message) {
	t.Helper()
	id, added, err := h.Outbox.Add(context.Background(), m)
	if err != nil || !added || id != m.ID() {
		t.Fatalf("add %s: %v %v %v", m.ID(), id, added, err)
	}
}

func get(t *testing.T, h Harness, id mail.MessageID) *mail.Message {
	t.Helper()
	m, err := h.Outbox.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	return m
}

func claim(t *testing.T, h Harness, owner string, now time.Time, limit int) []*mail.Message {
	t.Helper()
	got, err := h.Outbox.Claim(context.Background(), mailport.ClaimRequest{Owner: owner, Now: now, Lease: time.Minute, Limit: limit})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func backlog(t *testing.T, h Harness) mailport.Backlog {
	t.Helper()
	b, err := h.Outbox.Backlog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ids(ms []*mail.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID().String()
	}
	return out
}

func sameState(t *testing.T, got, want mail.MessageState) {
	t.Helper()
	if got.ID != want.ID || got.To != want.To || got.Template != want.Template || string(got.Data) != string(want.Data) ||
		got.Locale != want.Locale || got.Key != want.Key || !got.DiscardAfter.Equal(want.DiscardAfter) ||
		got.Status != want.Status || !got.CreatedAt.Equal(want.CreatedAt) || got.Attempts != want.Attempts ||
		!got.NextAttemptAt.Equal(want.NextAttemptAt) || got.LastError != want.LastError ||
		!got.SettledAt.Equal(want.SettledAt) || got.Channel != want.Channel {
		t.Fatalf("stored state\n got %+v\nwant %+v", got, want)
	}
}
