package contactport

import (
	"context"
	"time"

	"github.com/secuird/authy/domain/contact"
)

// Store is the contact context's persistence: enquiries and the outbox of
// notification mails.
//
// Do runs fn in one unit of work: everything fn does through r (and anything
// else that joins the transaction carried by the ctx it receives, such as
// the audit recorder) commits together, or rolls back together when fn
// returns an error. Enquiries and Outbox are the same repositories for use
// outside a unit of work; called with a ctx from Do they join it.
type Store interface {
	Do(ctx context.Context, fn func(ctx context.Context, r TxRepos) error) error
	Enquiries() EnquiryRepository
	Outbox() Outbox
}

// TxRepos is what a contact unit of work may touch.
type TxRepos struct {
	Enquiries EnquiryRepository
	Outbox    Outbox
}

// EnquiryRepository stores enquiries. An enquiry never changes once stored.
//
// Contract: Add of an id already stored is contact.ErrEnquiryExists; Get of
// an unknown id is contact.ErrEnquiryNotFound; Get returns every field as
// added, times to the microsecond.
type EnquiryRepository interface {
	Add(ctx context.Context, e *contact.Enquiry) error
	Get(ctx context.Context, id contact.EnquiryID) (*contact.Enquiry, error)
}

// ClaimRequest asks for up to Limit deliveries due at Now, leased to Owner
// until Now+Lease.
type ClaimRequest struct {
	Owner string
	Now   time.Time
	Lease time.Duration
	Limit int
}

// Outbox is the queue of notification mails, one per enquiry.
//
// Contract (checked by contactporttest):
//   - Enqueue stores a pending delivery; a second delivery with the same id
//     or for the same enquiry is contact.ErrDeliveryExists.
//   - Claim returns pending deliveries with NextAttemptAt <= Now whose lease
//     is free or expired, oldest due first, at most Limit, and leases them
//     to Owner in its own short transaction. While the lease runs no other
//     Claim returns them; concurrent Claims never return the same delivery
//     (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: its single writer).
//   - Settle saves the delivery's new state (sent, or a failure with its
//     next attempt) and frees the lease, but only while Owner still holds
//     it: otherwise contact.ErrLeaseLost and nothing changes.
//   - ByEnquiry returns the delivery of an enquiry, or
//     contact.ErrEnquiryNotFound.
type Outbox interface {
	Enqueue(ctx context.Context, d *contact.Delivery) error
	Claim(ctx context.Context, req ClaimRequest) ([]*contact.Delivery, error)
	Settle(ctx context.Context, owner string, d *contact.Delivery) error
	ByEnquiry(ctx context.Context, id contact.EnquiryID) (*contact.Delivery, error)
}

// Mail is one notification, already composed. Every field is a single line
// except Body; senders still treat each header value as untrusted.
type Mail struct {
	To             string
	ReplyToName    string
	ReplyToAddress string
	Subject        string
	Body           string
	// MessageID is stable per delivery (without angle brackets), so a mail
	// sent twice after a crash can be recognised as the same message.
	MessageID string
	Date      time.Time
}

// Mailer sends a notification.
//
// Contract: Send returns nil only once the channel accepted the mail (an
// SMTP server's 250 after DATA); any error means "not known to be
// delivered" and the caller retries later. Channel is contact.ChannelSMTP or
// contact.ChannelLog.
type Mailer interface {
	Send(ctx context.Context, m Mail) error
	Channel() string
}
