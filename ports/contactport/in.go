package contactport

import (
	"context"
	"time"
)

// SubmitEnquiry is what a visitor posts to the contact form.
type SubmitEnquiry struct {
	Type    string
	Name    string
	Email   string
	Company string
	Phone   string
	Message string
}

// EnquiryReceipt confirms a stored enquiry.
type EnquiryReceipt struct {
	ID         string
	Type       string
	ReceivedAt time.Time
}

// Service is the contact form's use case.
//
// Submit is rate-limited per client IP (taken from shared.RequestMeta in
// ctx): over the limit it returns a shared.RateLimited error carrying the
// retry delay, before looking at the input. A bad field is a shared.Invalid
// error naming it. An accepted enquiry is stored together with its pending
// notification mail and its audit record, in one transaction; the mail is
// sent later by MailDelivery.
type Service interface {
	Submit(ctx context.Context, cmd SubmitEnquiry) (EnquiryReceipt, error)
}

// DeliveryReport counts what one delivery pass did.
type DeliveryReport struct {
	Sent   int
	Failed int
}

// MailDelivery sends the pending notification mails.
//
// DeliverDue claims due deliveries under a lease, sends each outside any
// transaction, and settles it (sent, or rescheduled with backoff); it
// returns when nothing is due. Several instances may call it at once: a
// delivery is claimed by one caller at a time.
type MailDelivery interface {
	DeliverDue(ctx context.Context) (DeliveryReport, error)
}
