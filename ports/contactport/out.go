package contactport

import (
	"context"
	"time"

	"github.com/secuird/authy/domain/contact"
)

// EnquiryRepository stores enquiries. An enquiry never changes once stored.
// Called with the ctx of a unit of work (platformport.UnitOfWork), it joins
// it, with the mail outbox and the audit recorder.
//
// Contract: Add of an id already stored is contact.ErrEnquiryExists; Get of
// an unknown id is contact.ErrEnquiryNotFound; Get returns every field as
// added, times to the microsecond.
type EnquiryRepository interface {
	Add(ctx context.Context, e *contact.Enquiry) error
	Get(ctx context.Context, id contact.EnquiryID) (*contact.Enquiry, error)
}

// LegacyMail is the contact context's own outbox of the releases before the
// mail context (contact_mail_outbox). Nothing is written to it any more; its
// pending rows are handed over to the mail outbox. Its rows name no
// recipient (that worker read CONTACT_EMAIL_TO when sending), which is why
// no SQL migration can move them.
//
// Contract: Take, inside the unit of work carried by ctx, removes up to limit pending
// rows whose lease is free or expired at now and returns their enquiries;
// the removal commits or rolls back with the unit of work, and concurrent
// Takes never return the same row (PostgreSQL: FOR UPDATE SKIP LOCKED;
// SQLite: its single writer). Sent rows stay as history.
//
// TODO(remove in the release after next): drop contact_mail_outbox in a
// migration, and this port with it, once every installation has run a
// release that hands its rows over.
type LegacyMail interface {
	Take(ctx context.Context, now time.Time, limit int) ([]contact.EnquiryID, error)
}
