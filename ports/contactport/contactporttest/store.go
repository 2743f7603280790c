// Package contactporttest holds the executable contract of contactport's
// outbound store. The in-memory and GORM (SQLite, PostgreSQL) adapters run
// the same suite, so they are held to the same behaviour: not-found and
// uniqueness errors, rollback of a failed unit of work, the outbox's due
// order, leases, and concurrent claims that never hand out a delivery twice.
package contactporttest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/contact"
	"github.com/secuird/authy/ports/contactport"
)

// base is the suite's clock; times are whole microseconds, as every store
// keeps them.
var base = time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)

var errBoom = errors.New("boom")

// StoreContract checks a contactport.Store. newStore must return an empty
// store of its own for each call.
func StoreContract(t *testing.T, newStore func(t *testing.T) contactport.Store) {
	t.Helper()
	ctx := context.Background()

	t.Run("stores an enquiry and reads every field back", func(t *testing.T) {
		s := newStore(t)
		e := enquiry(t, base.Add(123456*time.Microsecond))
		add(t, s, e, nil)
		got, err := s.Enquiries().Get(ctx, e.ID())
		if err != nil {
			t.Fatal(err)
		}
		if got.ID() != e.ID() || got.Type() != e.Type() || got.Name() != e.Name() || got.Email() != e.Email() ||
			got.Company() != e.Company() || got.Phone() != e.Phone() || got.Message() != e.Message() ||
			!got.ReceivedAt().Equal(e.ReceivedAt()) {
			t.Fatalf("got %+v, want %+v", got, e)
		}
	})

	t.Run("an unknown enquiry is not found", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.Enquiries().Get(ctx, contact.EnquiryID(uuid.New())); !errors.Is(err, contact.ErrEnquiryNotFound) {
			t.Fatalf("want ErrEnquiryNotFound, got %v", err)
		}
		if _, err := s.Outbox().ByEnquiry(ctx, contact.EnquiryID(uuid.New())); !errors.Is(err, contact.ErrEnquiryNotFound) {
			t.Fatalf("want ErrEnquiryNotFound from the outbox, got %v", err)
		}
	})

	t.Run("an enquiry id is stored once", func(t *testing.T) {
		s := newStore(t)
		e := enquiry(t, base)
		add(t, s, e, nil)
		err := s.Do(ctx, func(ctx context.Context, r contactport.TxRepos) error { return r.Enquiries.Add(ctx, e) })
		if !errors.Is(err, contact.ErrEnquiryExists) {
			t.Fatalf("want ErrEnquiryExists, got %v", err)
		}
	})

	t.Run("an enquiry has one delivery", func(t *testing.T) {
		s := newStore(t)
		e := enquiry(t, base)
		add(t, s, e, delivery(t, e, base))
		err := s.Do(ctx, func(ctx context.Context, r contactport.TxRepos) error {
			return r.Outbox.Enqueue(ctx, delivery(t, e, base))
		})
		if !errors.Is(err, contact.ErrDeliveryExists) {
			t.Fatalf("want ErrDeliveryExists, got %v", err)
		}
	})

	t.Run("a failed unit of work leaves nothing behind", func(t *testing.T) {
		s := newStore(t)
		e := enquiry(t, base)
		err := s.Do(ctx, func(ctx context.Context, r contactport.TxRepos) error {
			if err := r.Enquiries.Add(ctx, e); err != nil {
				return err
			}
			if err := r.Outbox.Enqueue(ctx, delivery(t, e, base)); err != nil {
				return err
			}
			if _, err := r.Enquiries.Get(ctx, e.ID()); err != nil {
				return fmt.Errorf("a unit of work must read its own writes: %w", err)
			}
			return errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Fatalf("Do must return the closure's error, got %v", err)
		}
		if _, err := s.Enquiries().Get(ctx, e.ID()); !errors.Is(err, contact.ErrEnquiryNotFound) {
			t.Fatalf("enquiry survived a rollback: %v", err)
		}
		if _, err := s.Outbox().ByEnquiry(ctx, e.ID()); !errors.Is(err, contact.ErrEnquiryNotFound) {
			t.Fatalf("delivery survived a rollback: %v", err)
		}
		if got := claim(t, s, "w", base.Add(time.Hour), 10); len(got) != 0 {
			t.Fatalf("claimed %d deliveries of a rolled-back unit of work", len(got))
		}
	})

	t.Run("claims due deliveries oldest first up to the limit", func(t *testing.T) {
		s := newStore(t)
		var want []contact.DeliveryID
		for i, at := range []time.Duration{3, 1, 2, 10} {
			e := enquiry(t, base)
			d := delivery(t, e, base.Add(at*time.Second))
			add(t, s, e, d)
			if i < 3 {
				want = append(want, d.ID())
			}
		}
		// Due order: +1s, +2s, +3s; +10s is not due at +5s.
		want = []contact.DeliveryID{want[1], want[2], want[0]}
		got := claim(t, s, "w", base.Add(5*time.Second), 2)
		if len(got) != 2 || got[0].ID() != want[0] || got[1].ID() != want[1] {
			t.Fatalf("first claim = %v, want %v", ids(got), want[:2])
		}
		got = claim(t, s, "w", base.Add(5*time.Second), 10)
		if len(got) != 1 || got[0].ID() != want[2] {
			t.Fatalf("second claim = %v, want %v", ids(got), want[2:])
		}
	})

	t.Run("a leased delivery is not claimed again until the lease expires", func(t *testing.T) {
		s := newStore(t)
		e := enquiry(t, base)
		add(t, s, e, delivery(t, e, base))
		if got := claim(t, s, "a", base, 10); len(got) != 1 {
			t.Fatalf("claimed %d, want 1", len(got))
		}
		if got := claim(t, s, "b", base.Add(time.Minute-time.Microsecond), 10); len(got) != 0 {
			t.Fatal("a leased delivery was handed out again")
		}
		got := claim(t, s, "b", base.Add(time.Minute), 10)
		if len(got) != 1 || got[0].EnquiryID() != e.ID() {
			t.Fatal("an expired lease must let another worker claim the delivery")
		}
	})

	t.Run("a failure is saved and the delivery waits for its next attempt", func(t *testing.T) {
		s := newStore(t)
		e := enquiry(t, base)
		add(t, s, e, delivery(t, e, base))
		d := claim(t, s, "a", base, 1)[0]
		policy, _ := contact.NewRetryPolicy(30*time.Second, time.Hour)
		if err := d.RecordFailure(base, "421 service not available", policy); err != nil {
			t.Fatal(err)
		}
		if err := s.Outbox().Settle(ctx, "a", d); err != nil {
			t.Fatal(err)
		}
		if got := claim(t, s, "a", base.Add(29*time.Second), 10); len(got) != 0 {
			t.Fatal("claimed before its next attempt")
		}
		got := claim(t, s, "b", base.Add(30*time.Second), 10)
		if len(got) != 1 || got[0].Attempts() != 1 || got[0].LastError() != "421 service not available" ||
			!got[0].NextAttemptAt().Equal(base.Add(30*time.Second)) {
			t.Fatalf("after a failure: %+v", got)
		}
	})

	t.Run("a sent delivery is never claimed again", func(t *testing.T) {
		s := newStore(t)
		e := enquiry(t, base)
		add(t, s, e, delivery(t, e, base))
		d := claim(t, s, "a", base, 1)[0]
		if err := d.MarkSent(base.Add(time.Second), contact.ChannelSMTP); err != nil {
			t.Fatal(err)
		}
		if err := s.Outbox().Settle(ctx, "a", d); err != nil {
			t.Fatal(err)
		}
		if got := claim(t, s, "b", base.Add(24*time.Hour), 10); len(got) != 0 {
			t.Fatal("a sent delivery was claimed")
		}
		got, err := s.Outbox().ByEnquiry(ctx, e.ID())
		if err != nil {
			t.Fatal(err)
		}
		if !got.Sent() || got.Channel() != contact.ChannelSMTP || !got.SentAt().Equal(base.Add(time.Second)) {
			t.Fatalf("stored state %+v", got.State())
		}
	})

	t.Run("a worker that lost its lease cannot settle", func(t *testing.T) {
		s := newStore(t)
		e := enquiry(t, base)
		add(t, s, e, delivery(t, e, base))
		late := claim(t, s, "a", base, 1)[0]
		taker := claim(t, s, "b", base.Add(2*time.Minute), 1)[0]
		if err := late.MarkSent(base.Add(3*time.Minute), contact.ChannelSMTP); err != nil {
			t.Fatal(err)
		}
		if err := s.Outbox().Settle(ctx, "a", late); !errors.Is(err, contact.ErrLeaseLost) {
			t.Fatalf("want ErrLeaseLost, got %v", err)
		}
		if err := taker.RecordFailure(base.Add(3*time.Minute), "timeout", contact.DefaultRetryPolicy); err != nil {
			t.Fatal(err)
		}
		if err := s.Outbox().Settle(ctx, "b", taker); err != nil {
			t.Fatal(err)
		}
		got, _ := s.Outbox().ByEnquiry(ctx, e.ID())
		if got.Sent() || got.Attempts() != 1 {
			t.Fatalf("the lease holder's state must win: %+v", got.State())
		}
		if err := s.Outbox().Settle(ctx, "b", taker); !errors.Is(err, contact.ErrLeaseLost) {
			t.Fatalf("settling frees the lease; a second settle must fail, got %v", err)
		}
	})

	t.Run("concurrent claims never hand out a delivery twice", func(t *testing.T) {
		s := newStore(t)
		const n, workers = 24, 4
		for i := 0; i < n; i++ {
			e := enquiry(t, base)
			add(t, s, e, delivery(t, e, base.Add(time.Duration(i)*time.Millisecond)))
		}
		var (
			mu   sync.Mutex
			seen = map[contact.DeliveryID]string{}
			dups []string
			wg   sync.WaitGroup
			errs = make(chan error, workers)
		)
		for w := 0; w < workers; w++ {
			owner := fmt.Sprintf("worker-%d", w)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					got, err := s.Outbox().Claim(ctx, contactport.ClaimRequest{Owner: owner, Now: base.Add(time.Second), Lease: time.Hour, Limit: 3})
					if err != nil {
						errs <- err
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, d := range got {
						if prev, ok := seen[d.ID()]; ok {
							dups = append(dups, d.ID().String()+" by "+prev+" and "+owner)
						}
						seen[d.ID()] = owner
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if len(dups) > 0 {
			t.Fatalf("claimed twice: %v", dups)
		}
		if len(seen) != n {
			t.Fatalf("claimed %d of %d", len(seen), n)
		}
	})
}

func enquiry(t *testing.T, at time.Time) *contact.Enquiry {
	t.Helper()
	e, err := contact.NewEnquiry(contact.EnquiryID(uuid.New()), contact.EnquiryDetails{
		Type: "sales", Name: "Grace Hopper", Email: "grace@example.com", Company: "Navy",
		Phone: "+1 555 0100", Message: "Line one\nLine two with ünïcödé",
	}, at)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func delivery(t *testing.T, e *contact.Enquiry, due time.Time) *contact.Delivery {
	t.Helper()
	d, err := contact.NewDelivery(contact.DeliveryID(uuid.New()), e.ID(), due)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func add(t *testing.T, s contactport.Store, e *contact.Enquiry, d *contact.Delivery) {
	t.Helper()
	err := s.Do(context.Background(), func(ctx context.Context, r contactport.TxRepos) error {
		if err := r.Enquiries.Add(ctx, e); err != nil {
			return err
		}
		if d != nil {
			return r.Outbox.Enqueue(ctx, d)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func claim(t *testing.T, s contactport.Store, owner string, now time.Time, limit int) []*contact.Delivery {
	t.Helper()
	got, err := s.Outbox().Claim(context.Background(), contactport.ClaimRequest{Owner: owner, Now: now, Lease: time.Minute, Limit: limit})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func ids(ds []*contact.Delivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.ID().String()
	}
	return out
}
