package contactapp

import (
	"context"
	"fmt"

	"github.com/secuird/authy/domain/contact"
	"github.com/secuird/authy/ports/mailport"
)

// legacyBatch bounds the rows one hand-over transaction moves.
const legacyBatch = 50

// enqueueMail queues the notification of e to every team address, inside
// the transaction ctx carries. The key makes each one unique, so the same
// enquiry never produces two mails to one address.
func (s *Service) enqueueMail(ctx context.Context, e *contact.Enquiry) error {
	data := mailport.ContactEnquiry{
		EnquiryID: e.ID().String(), Type: e.Type().String(), Name: e.Name(), Email: e.Email(),
		Company: e.Company(), Phone: e.Phone(), Message: e.Message(), ReceivedAt: e.ReceivedAt(),
	}
	for i, to := range s.d.Team {
		_, err := s.d.Mail.Enqueue(ctx, mailport.Mail{
			To: to, Data: data, Key: fmt.Sprintf("contact-enquiry:%s:%d", e.ID(), i),
		})
		if err != nil {
			return fmt.Errorf("queue the mail of enquiry %s: %w", e.ID(), err)
		}
	}
	return nil
}

// HandOverLegacyMail moves every pending row of the old contact outbox onto
// the mail outbox, in batches, and returns how many enquiries it moved.
// Running it on several instances at once is safe: a row is taken by one
// transaction only, and the mail keys make a repeated hand-over a no-op.
func (s *Service) HandOverLegacyMail(ctx context.Context) (int, error) {
	moved := 0
	for ctx.Err() == nil {
		n := 0
		err := s.d.UnitOfWork.Transaction(ctx, func(ctx context.Context) error {
			ids, err := s.d.Legacy.Take(ctx, s.d.Clock.Now(), legacyBatch)
			if err != nil {
				return err
			}
			for _, id := range ids {
				e, err := s.d.Enquiries.Get(ctx, id)
				if err != nil {
					return fmt.Errorf("enquiry %s of the old outbox: %w", id, err)
				}
				if err := s.enqueueMail(ctx, e); err != nil {
					return err
				}
			}
			n = len(ids)
			return nil
		})
		if err != nil {
			return moved, fmt.Errorf("hand over legacy contact mail: %w", err)
		}
		moved += n
		if n < legacyBatch {
			return moved, nil
		}
	}
	return moved, ctx.Err()
}
