package contactapp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/contact"
	"github.com/secuird/authy/ports/contactport"
	"github.com/secuird/authy/ports/platformport"
)

// Defaults of the Dispatcher.
const (
	DefaultPollInterval = time.Second
	DefaultLease        = 2 * time.Minute
	DefaultSendTimeout  = 30 * time.Second
	DefaultBatchSize    = 10
)

// DispatcherDeps configure a Dispatcher. Zero durations take the defaults.
type DispatcherDeps struct {
	Store  contactport.Store
	Mailer contactport.Mailer
	// Recipient is the team's address (CONTACT_EMAIL_TO).
	Recipient string
	Clock     platformport.Clock
	Meter     platformport.Meter
	Logger    *slog.Logger
	// Owner names this worker in leases; defaults to a random id, so every
	// instance (and every Dispatcher) is a distinct owner.
	Owner string
	// Retry is the backoff after a failed attempt (zero: the domain default,
	// 5 s doubling up to 10 min).
	Retry contact.RetryPolicy
	// Lease is how long a claim keeps other workers away; it must exceed
	// SendTimeout so a slow but live worker is not overtaken.
	Lease        time.Duration
	SendTimeout  time.Duration
	PollInterval time.Duration
	BatchSize    int
}

// Dispatcher delivers the outbox: DeliverDue is one pass (the deliver_mail
// job), Run the worker loop inside `serve`.
type Dispatcher struct {
	d     DispatcherDeps
	nudge chan struct{}
}

var _ contactport.MailDelivery = (*Dispatcher)(nil)

// NewDispatcher checks the dependencies and fills in defaults.
func NewDispatcher(d DispatcherDeps) (*Dispatcher, error) {
	if d.Store == nil || d.Mailer == nil || d.Clock == nil || d.Recipient == "" {
		return nil, errors.New("contactapp: Store, Mailer, Clock and Recipient are required")
	}
	if d.Meter == nil {
		d.Meter = platformport.NopMeter{}
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Owner == "" {
		d.Owner = uuid.NewString()
	}
	if d.SendTimeout <= 0 {
		d.SendTimeout = DefaultSendTimeout
	}
	if d.Lease <= 0 {
		d.Lease = DefaultLease
	}
	if d.Lease <= d.SendTimeout {
		return nil, errors.New("contactapp: the lease must be longer than the send timeout")
	}
	if d.PollInterval <= 0 {
		d.PollInterval = DefaultPollInterval
	}
	if d.BatchSize <= 0 {
		d.BatchSize = DefaultBatchSize
	}
	return &Dispatcher{d: d, nudge: make(chan struct{}, 1)}, nil
}

// Nudge wakes Run at once (an enquiry was just accepted). It never blocks.
func (p *Dispatcher) Nudge() {
	select {
	case p.nudge <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends: a pass at start, then one every
// PollInterval or as soon as Nudge is called. A failed pass is logged and
// the loop goes on.
func (p *Dispatcher) Run(ctx context.Context) error {
	ticker := time.NewTicker(p.d.PollInterval)
	defer ticker.Stop()
	for {
		if _, err := p.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			p.d.Logger.ErrorContext(ctx, "contact mail delivery pass failed", "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		case <-p.nudge:
		}
	}
}

// DeliverDue implements contactport.MailDelivery.
func (p *Dispatcher) DeliverDue(ctx context.Context) (contactport.DeliveryReport, error) {
	var rep contactport.DeliveryReport
	for ctx.Err() == nil {
		claimed, err := p.d.Store.Outbox().Claim(ctx, contactport.ClaimRequest{
			Owner: p.d.Owner, Now: p.d.Clock.Now(), Lease: p.d.Lease, Limit: p.d.BatchSize,
		})
		if err != nil {
			return rep, fmt.Errorf("claim deliveries: %w", err)
		}
		if len(claimed) == 0 {
			return rep, nil
		}
		var errs []error
		for _, d := range claimed {
			sent, err := p.deliver(ctx, d)
			if sent {
				rep.Sent++
			} else {
				rep.Failed++
			}
			if err != nil {
				errs = append(errs, err)
			}
		}
		// A delivery that could not be settled stays leased; stop this pass
		// rather than spin on a store that fails.
		if err := errors.Join(errs...); err != nil {
			return rep, err
		}
	}
	return rep, ctx.Err()
}

// deliver sends one claimed delivery and settles it. It reports whether the
// mail was accepted; the error is about settling only.
func (p *Dispatcher) deliver(ctx context.Context, d *contact.Delivery) (bool, error) {
	sendErr := p.send(ctx, d)
	now := p.d.Clock.Now()
	log := p.d.Logger.With("delivery_id", d.ID().String(), "enquiry_id", d.EnquiryID().String())
	if sendErr == nil {
		if err := d.MarkSent(now, p.d.Mailer.Channel()); err != nil {
			return true, err
		}
		p.d.Meter.Add(platformport.MetricMailDeliveries, "sent", 1)
		log.InfoContext(ctx, "contact mail delivered", "channel", p.d.Mailer.Channel(), "attempts", d.Attempts()+1)
	} else {
		if err := d.RecordFailure(now, sendErr.Error(), p.d.Retry); err != nil {
			return false, err
		}
		p.d.Meter.Add(platformport.MetricMailDeliveries, "failed", 1)
		log.WarnContext(ctx, "contact mail delivery failed; will retry",
			"attempts", d.Attempts(), "next_attempt_at", d.NextAttemptAt().Format(time.RFC3339), "error", d.LastError())
	}
	// Detached from shutdown: a mail the server accepted must be recorded
	// even while the worker is stopping, or it would be sent again.
	settleCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := p.d.Store.Outbox().Settle(settleCtx, p.d.Owner, d); err != nil {
		if errors.Is(err, contact.ErrLeaseLost) {
			log.WarnContext(ctx, "contact mail delivery was taken over by another worker", "sent", sendErr == nil)
			return sendErr == nil, nil
		}
		return sendErr == nil, fmt.Errorf("settle delivery %s: %w", d.ID(), err)
	}
	return sendErr == nil, nil
}

func (p *Dispatcher) send(ctx context.Context, d *contact.Delivery) error {
	e, err := p.d.Store.Enquiries().Get(ctx, d.EnquiryID())
	if err != nil {
		return fmt.Errorf("load enquiry: %w", err)
	}
	sendCtx, cancel := context.WithTimeout(ctx, p.d.SendTimeout)
	defer cancel()
	return p.d.Mailer.Send(sendCtx, compose(e, p.d.Recipient))
}
