package mailport

import (
	"context"
	"time"

	"github.com/secuird/authy/domain/shared"
)

// Mail is what a context asks to send: one recipient and the typed data of
// one template.
type Mail struct {
	To   shared.Email
	Data TemplateData
	// Locale picks the language (empty: the default, "en"); a language the
	// catalogue lacks falls back to the default.
	Locale string
	// Key, when set, makes the mail unique: enqueueing a second mail with
	// the same key stores nothing and answers the first one's id. Use it
	// where one event must never produce two mails.
	Key string
	// DiscardAfter, when set, is when the mail stops being worth sending
	// (the link in it expires): a mail still queued then is given up
	// instead of sent.
	DiscardAfter time.Time
}

// Queued confirms an enqueued mail.
type Queued struct {
	ID string
	// Existing is true when a mail with the same Key was already queued and
	// nothing new was stored.
	Existing bool
}

// Enqueuer puts mail into the outbox.
//
// Enqueue joins the transaction carried by ctx (it is meant to run inside
// the caller's unit of work, beside the change the mail is about), so the
// mail commits with that change or not at all; without a transaction it
// commits by itself. It does no network I/O: the mail is sent later by
// Delivery, once committed. The template data is sealed before it is
// stored. A missing recipient or data, or a bad locale or key, is a
// shared.Invalid error (mail.ErrInvalidMessage).
type Enqueuer interface {
	Enqueue(ctx context.Context, m Mail) (Queued, error)
}

// DeliveryReport counts what one delivery pass did.
type DeliveryReport struct {
	Sent    int
	Failed  int
	Expired int
}

// Delivery sends the due mail.
//
// DeliverDue claims due messages under a lease, renders and sends each
// outside any transaction, and settles it (sent, rescheduled with backoff,
// or given up once its deadline passed); it returns when nothing is due.
// Several workers on several instances may call it at once: a message is
// claimed by one of them at a time, so racing workers never send it twice.
type Delivery interface {
	DeliverDue(ctx context.Context) (DeliveryReport, error)
}
