package contactpg_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/contactpg"
	"github.com/secuird/authy/domain/contact"
	"github.com/secuird/authy/ports/contactport/contactporttest"
	"github.com/secuird/authy/tests/testenv"
)

func sqlite(t *testing.T) *pgstore.DB { return testenv.SQLite(t) }

// harness is the GORM repositories on db.
func harness(db *pgstore.DB) contactporttest.Harness {
	return contactporttest.Harness{Enquiries: contactpg.New(db), Legacy: contactpg.NewLegacyMail(db), UoW: db}
}

// The SQLite backend runs in every test run: a file in the test's
// temporary directory, no service needed.
func TestStore_MeetsTheContractOnSQLite(t *testing.T) {
	contactporttest.StoreContract(t, func(t *testing.T) contactporttest.Harness { return harness(sqlite(t)) })
}

func TestLegacyMail_HandsOverPendingRowsOnceOnSQLite(t *testing.T) { legacyMailCases(t, sqlite) }

var base = time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)

// legacyRow writes a row as the contact worker of an older release left it.
func legacyRow(t *testing.T, db *pgstore.DB, s *contactpg.Store, sentAt, lockedUntil *time.Time) contact.EnquiryID {
	t.Helper()
	e, err := contact.NewEnquiry(contact.EnquiryID(uuid.New()), contact.EnquiryDetails{
		Type: "demo", Name: "Ada", Email: "ada@example.com", Message: "Hello",
	}, base)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Add(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	var channel *string
	if sentAt != nil {
		c := "smtp"
		channel = &c
	}
	err = db.Gorm().Exec(`INSERT INTO contact_mail_outbox (id, enquiry_id, created_at, attempts, next_attempt_at, last_error, locked_by, locked_until, sent_at, channel)
		VALUES (?, ?, ?, 2, ?, '451 busy', ?, ?, ?, ?)`,
		uuid.NewString(), e.ID().String(), base, base, lockedBy(lockedUntil), lockedUntil, sentAt, channel).Error
	if err != nil {
		t.Fatal(err)
	}
	return e.ID()
}

func lockedBy(until *time.Time) *string {
	if until == nil {
		return nil
	}
	s := "old-worker"
	return &s
}

func take(t *testing.T, db *pgstore.DB, now time.Time, limit int, fail error) []contact.EnquiryID {
	t.Helper()
	var got []contact.EnquiryID
	err := db.Transaction(context.Background(), func(ctx context.Context) error {
		var err error
		got, err = contactpg.NewLegacyMail(db).Take(ctx, now, limit)
		if err != nil {
			return err
		}
		return fail
	})
	if !errors.Is(err, fail) {
		t.Fatalf("take: %v", err)
	}
	return got
}

func legacyMailCases(t *testing.T, open func(t *testing.T) *pgstore.DB) {
	t.Run("pending rows are taken once, sent and leased ones stay", func(t *testing.T) {
		db := open(t)
		s := contactpg.New(db)
		sent, leaseEnds := base.Add(-time.Hour), base.Add(time.Minute)
		a := legacyRow(t, db, s, nil, nil)
		legacyRow(t, db, s, &sent, nil)
		leased := legacyRow(t, db, s, nil, &leaseEnds)
		got := take(t, db, base, 10, nil)
		if len(got) != 1 || got[0] != a {
			t.Fatalf("took %v, want only %v", got, a)
		}
		if again := take(t, db, base, 10, nil); len(again) != 0 {
			t.Fatalf("took %v twice", again)
		}
		if got := take(t, db, leaseEnds, 10, nil); len(got) != 1 || got[0] != leased {
			t.Fatalf("after the old worker's lease: %v, want %v", got, leased)
		}
		var n int64
		if err := db.Gorm().Table("contact_mail_outbox").Count(&n).Error; err != nil || n != 1 {
			t.Fatalf("%d rows left (%v), want the sent one", n, err)
		}
	})

	t.Run("a failed hand-over keeps the rows", func(t *testing.T) {
		db := open(t)
		s := contactpg.New(db)
		a := legacyRow(t, db, s, nil, nil)
		boom := errors.New("the mail outbox refused")
		if got := take(t, db, base, 10, boom); len(got) != 1 {
			t.Fatalf("took %v", got)
		}
		if got := take(t, db, base, 10, nil); len(got) != 1 || got[0] != a {
			t.Fatalf("after the rollback: %v, want %v", got, a)
		}
	})

	t.Run("at most limit rows per take", func(t *testing.T) {
		db := open(t)
		s := contactpg.New(db)
		for i := 0; i < 3; i++ {
			legacyRow(t, db, s, nil, nil)
		}
		if got := take(t, db, base, 2, nil); len(got) != 2 {
			t.Fatalf("took %d, want 2", len(got))
		}
		if got := take(t, db, base, 2, nil); len(got) != 1 {
			t.Fatalf("took %d, want the last one", len(got))
		}
	})
}
