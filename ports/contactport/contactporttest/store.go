// Package contactporttest holds the executable contract of contactport's
// repositories. The GORM adapter runs it on SQLite and PostgreSQL: not-found
// and uniqueness errors, and rollback of a failed unit of work.
package contactporttest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/contact"
	"github.com/secuird/authy/ports/contactport"
	"github.com/secuird/authy/ports/platformport"
)

// base is the suite's clock; times are whole microseconds, as every store
// keeps them.
var base = time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)

var errBoom = errors.New("boom")

// Harness is one backend under test: its repositories and the unit of work
// they join.
type Harness struct {
	Enquiries contactport.EnquiryRepository
	Legacy    contactport.LegacyMail
	UoW       platformport.UnitOfWork
}

// StoreContract checks contactport's repositories. newStore must return
// empty repositories of their own for each call.
func StoreContract(t *testing.T, newStore func(t *testing.T) Harness) {
	t.Helper()
	ctx := context.Background()

	t.Run("stores an enquiry and reads every field back", func(t *testing.T) {
		s := newStore(t)
		e := enquiry(t, base.Add(123456*time.Microsecond))
		add(t, s, e)
		got, err := s.Enquiries.Get(ctx, e.ID())
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
		if _, err := s.Enquiries.Get(ctx, contact.EnquiryID(uuid.New())); !errors.Is(err, contact.ErrEnquiryNotFound) {
			t.Fatalf("want ErrEnquiryNotFound, got %v", err)
		}
	})

	t.Run("an enquiry id is stored once", func(t *testing.T) {
		s := newStore(t)
		e := enquiry(t, base)
		add(t, s, e)
		err := s.UoW.Transaction(ctx, func(ctx context.Context) error { return s.Enquiries.Add(ctx, e) })
		if !errors.Is(err, contact.ErrEnquiryExists) {
			t.Fatalf("want ErrEnquiryExists, got %v", err)
		}
	})

	t.Run("a failed unit of work leaves nothing behind", func(t *testing.T) {
		s := newStore(t)
		e := enquiry(t, base)
		err := s.UoW.Transaction(ctx, func(ctx context.Context) error {
			if err := s.Enquiries.Add(ctx, e); err != nil {
				return err
			}
			if _, err := s.Enquiries.Get(ctx, e.ID()); err != nil {
				return fmt.Errorf("a unit of work must read its own writes: %w", err)
			}
			return errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Fatalf("the unit of work must return the closure's error, got %v", err)
		}
		if _, err := s.Enquiries.Get(ctx, e.ID()); !errors.Is(err, contact.ErrEnquiryNotFound) {
			t.Fatalf("enquiry survived a rollback: %v", err)
		}
	})

	t.Run("an empty legacy outbox hands over nothing", func(t *testing.T) {
		s := newStore(t)
		err := s.UoW.Transaction(ctx, func(ctx context.Context) error {
			got, err := s.Legacy.Take(ctx, base, 10)
			if err == nil && len(got) != 0 {
				err = fmt.Errorf("took %v", got)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
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

func add(t *testing.T, s Harness, e *contact.Enquiry) {
	t.Helper()
	err := s.UoW.Transaction(context.Background(), func(ctx context.Context) error {
		return s.Enquiries.Add(ctx, e)
	})
	if err != nil {
		t.Fatal(err)
	}
}
