package contactapp_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/application/contactapp"
	"github.com/secuird/authy/domain/contact"
	"github.com/secuird/authy/domain/shared"
)

// oldRelease stores an enquiry with a pending row in the old contact
// outbox, as a release before the mail context left it.
func (f *fixture) oldRelease(t *testing.T, name string) contact.EnquiryID {
	t.Helper()
	e, err := contact.NewEnquiry(contact.EnquiryID(uuid.New()), contact.EnquiryDetails{
		Type: "support", Name: name, Email: "visitor@example.com", Message: "Queued before the upgrade",
	}, t0.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.Add(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	err = f.db.Gorm().Exec(`INSERT INTO contact_mail_outbox (id, enquiry_id, created_at, attempts, next_attempt_at, last_error)
		VALUES (?, ?, ?, 3, ?, '451 busy')`, uuid.NewString(), e.ID().String(), t0.Add(-time.Hour), t0.Add(-time.Minute)).Error
	if err != nil {
		t.Fatal(err)
	}
	return e.ID()
}

func (f *fixture) legacyRows(t *testing.T) int64 {
	t.Helper()
	var n int64
	if err := f.db.Gorm().Table("contact_mail_outbox").Where("sent_at IS NULL").Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestHandOverLegacyMail_QueuesTheOldOutboxForTodaysTeamOnce(t *testing.T) {
	f := newFixture(t, func(d *contactapp.Deps) {
		d.Team = []shared.Email{email(t, "team@example.net"), email(t, "cto@example.net")}
	})
	a, b := f.oldRelease(t, "Old One"), f.oldRelease(t, "Old Two")
	n, err := f.svc.HandOverLegacyMail(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("moved %d, %v", n, err)
	}
	mails := f.queued(t)
	if len(mails) != 4 || f.legacyRows(t) != 0 {
		t.Fatalf("queued %+v, %d old rows left", mails, f.legacyRows(t))
	}
	keys := map[string]string{}
	for _, m := range mails {
		keys[m.Key] = m.To
	}
	for _, id := range []contact.EnquiryID{a, b} {
		if keys["contact-enquiry:"+id.String()+":0"] != "team@example.net" || keys["contact-enquiry:"+id.String()+":1"] != "cto@example.net" {
			t.Fatalf("mails of %s: %v", id, keys)
		}
	}
	if n, err := f.svc.HandOverLegacyMail(context.Background()); err != nil || n != 0 || len(f.queued(t)) != 4 {
		t.Fatalf("a second hand-over moved %d (%v)", n, err)
	}
}

func TestHandOverLegacyMail_KeepsTheOldRowsWhenTheMailOutboxRefuses(t *testing.T) {
	f := newFixture(t, func(d *contactapp.Deps) { d.Mail = failingMail{} })
	f.oldRelease(t, "Kept")
	if _, err := f.svc.HandOverLegacyMail(context.Background()); err == nil {
		t.Fatal("want an error")
	}
	if f.legacyRows(t) != 1 {
		t.Fatal("an old row was removed although its mail was not queued")
	}
}

func TestHandOverLegacyMail_MovesMoreThanOneBatch(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < 60; i++ {
		f.oldRelease(t, "Many")
	}
	n, err := f.svc.HandOverLegacyMail(context.Background())
	if err != nil || n != 60 || f.legacyRows(t) != 0 || len(f.queued(t)) != 60 {
		t.Fatalf("moved %d (%v), %d left, %d queued", n, err, f.legacyRows(t), len(f.queued(t)))
	}
}
