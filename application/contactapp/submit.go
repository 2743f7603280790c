package contactapp

import (
	"context"
	"fmt"

	"github.com/secuird/authy/domain/contact"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/contactport"
	"github.com/secuird/authy/ports/platformport"
)

// ActionEnquiryReceived is the audit action of an accepted enquiry.
const ActionEnquiryReceived = "contact.enquiry.received"

// Submit implements contactport.Service.
func (s *Service) Submit(ctx context.Context, cmd contactport.SubmitEnquiry) (contactport.EnquiryReceipt, error) {
	key := rateKey(ctx)
	if err := s.checkLimit(ctx, key, false); err != nil {
		return contactport.EnquiryReceipt{}, err
	}
	now := s.d.Clock.Now()
	e, err := contact.NewEnquiry(contact.EnquiryID(s.d.NewID()), contact.EnquiryDetails{
		Type: cmd.Type, Name: cmd.Name, Email: cmd.Email, Company: cmd.Company,
		Phone: cmd.Phone, Message: cmd.Message,
	}, now)
	if err != nil {
		return contactport.EnquiryReceipt{}, err
	}
	if err := s.checkLimit(ctx, key, true); err != nil {
		return contactport.EnquiryReceipt{}, err
	}
	// Events are drained before the transaction: a retried closure must
	// record the same audit events again.
	events := auditEvents(e.PullEvents())
	err = s.d.UnitOfWork.Transaction(ctx, func(ctx context.Context) error {
		if err := s.d.Enquiries.Add(ctx, e); err != nil {
			return err
		}
		if err := s.enqueueMail(ctx, e); err != nil {
			return err
		}
		return s.d.Audit.Record(ctx, events...)
	})
	if err != nil {
		return contactport.EnquiryReceipt{}, fmt.Errorf("submit enquiry: %w", err)
	}
	return contactport.EnquiryReceipt{ID: e.ID().String(), Type: e.Type().String(), ReceivedAt: e.ReceivedAt()}, nil
}

// checkLimit peeks (take=false) or takes one unit (take=true) of the
// client's limit.
func (s *Service) checkLimit(ctx context.Context, key string, take bool) error {
	decide := s.d.Limiter.Peek
	if take {
		decide = s.d.Limiter.Take
	}
	dec, err := decide(ctx, key, s.d.Limit)
	if err != nil {
		return ErrUnavailable.WithCause(err)
	}
	if !dec.Allowed {
		s.d.Meter.Add(platformport.MetricRateLimited, "contact", 1)
		return ErrRateLimited.WithRetryAfter(dec.RetryAfter)
	}
	return nil
}

// rateKey is the limit's key for the client address in ctx, by
// shared.ClientKey: an IPv6 client is keyed by its /64, the block one
// subscriber usually holds, so rotating addresses within it does not
// multiply the limit.
func rateKey(ctx context.Context) string {
	return "contact:ip:" + shared.ClientKey(shared.RequestMetaFrom(ctx).ClientIP)
}

func auditEvents(evs []contact.EnquiryReceived) []auditport.Event {
	out := make([]auditport.Event, 0, len(evs))
	for _, ev := range evs {
		out = append(out, auditport.Event{
			Action:     ActionEnquiryReceived,
			ActorType:  auditport.ActorAnonymous,
			TargetType: "contact_enquiry",
			TargetID:   ev.EnquiryID.String(),
			// The message and the visitor's name and address stay out of
			// the audit trail; the domain is enough to spot abuse.
			Details:    map[string]any{"type": ev.Type.String(), "email_domain": ev.EmailDomain},
			OccurredAt: ev.OccurredAt,
		})
	}
	return out
}
