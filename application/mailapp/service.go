package mailapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/mail"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/mailport"
	"github.com/secuird/authy/ports/platformport"
)

// Deps are the ports Enqueue uses.
type Deps struct {
	Outbox mailport.Outbox
	Sealer mailport.Sealer
	// UnitOfWork is the transaction Enqueue joins; the local worker is
	// woken through its after-commit hook.
	UnitOfWork platformport.UnitOfWork
	Clock      mailport.Clock
	// NewID generates message ids; defaults to random UUIDs.
	NewID func() uuid.UUID
	// OnEnqueued is called once a new message committed, to wake the local
	// worker at once instead of at its next poll. Optional.
	OnEnqueued func()
}

// Service implements mailport.Enqueuer.
type Service struct {
	d Deps
}

var _ mailport.Enqueuer = (*Service)(nil)

// NewService checks that every required port is present.
func NewService(d Deps) (*Service, error) {
	if d.Outbox == nil || d.Sealer == nil || d.UnitOfWork == nil || d.Clock == nil {
		return nil, errors.New("mailapp: Outbox, Sealer, UnitOfWork and Clock are required")
	}
	if d.NewID == nil {
		d.NewID = uuid.New
	}
	return &Service{d: d}, nil
}

// Enqueue implements mailport.Enqueuer.
func (s *Service) Enqueue(ctx context.Context, m mailport.Mail) (mailport.Queued, error) {
	if m.Data == nil {
		return mailport.Queued{}, shared.Invalid(mail.ErrInvalidMessage.Code(), mail.ErrInvalidMessage.Message(),
			map[string][]string{"data": {"is required"}})
	}
	payload, err := json.Marshal(m.Data)
	if err != nil {
		return mailport.Queued{}, fmt.Errorf("enqueue mail: encode %s data: %w", m.Data.Template(), err)
	}
	id := mail.MessageID(s.d.NewID())
	sealed, err := s.d.Sealer.Seal(ctx, payload, associatedData(id))
	if err != nil {
		return mailport.Queued{}, fmt.Errorf("enqueue mail: seal: %w", err)
	}
	msg, err := mail.NewMessage(id, mail.Draft{
		To: m.To, Template: m.Data.Template(), Data: []byte(sealed), Locale: m.Locale, Key: m.Key,
		DiscardAfter: m.DiscardAfter,
	}, s.d.Clock.Now())
	if err != nil {
		return mailport.Queued{}, err
	}
	stored, added, err := s.d.Outbox.Add(ctx, msg)
	if err != nil {
		return mailport.Queued{}, fmt.Errorf("enqueue mail: %w", err)
	}
	if added && s.d.OnEnqueued != nil {
		s.d.UnitOfWork.AfterCommit(ctx, func(context.Context) { s.d.OnEnqueued() })
	}
	return mailport.Queued{ID: stored.String(), Existing: !added}, nil
}

// associatedData binds sealed template data to its message, so data copied
// into another row does not open.
func associatedData(id mail.MessageID) []byte { return []byte("mail.message:" + id.String()) }
