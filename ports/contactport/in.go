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
// error naming it. An accepted enquiry is stored together with its
// notification mail (one per CONTACT_EMAIL_TO address, in the mail outbox)
// and its audit record, in one transaction; the mail context sends it.
type Service interface {
	Submit(ctx context.Context, cmd SubmitEnquiry) (EnquiryReceipt, error)
}
