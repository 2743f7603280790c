package mailapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/mail"
	"github.com/secuird/authy/ports/mailport"
	"github.com/secuird/authy/ports/platformport"
)

// Defaults of the Worker.
const (
	DefaultPollInterval    = time.Second
	DefaultLease           = 2 * time.Minute
	DefaultSendTimeout     = 30 * time.Second
	DefaultBatchSize       = 10
	DefaultMessageIDDomain = "authy.mail"
)

// WorkerDeps configure a Worker. Zero durations take the defaults.
type WorkerDeps struct {
	Outbox   mailport.Outbox
	Sender   mailport.Sender
	Renderer mailport.Renderer
	Sealer   mailport.Sealer
	Clock    mailport.Clock
	Meter    platformport.Meter
	Logger   *slog.Logger
	// Owner names this worker in leases; defaults to a random id, so every
	// instance (and every Worker) is a distinct owner.
	Owner string
	// MessageIDDomain is the right-hand side of every Message-ID (the
	// domain of MAIL_FROM).
	MessageIDDomain string
	// Retry is the backoff after a failed attempt (zero: the domain default,
	// 5 s doubling up to 10 min).
	Retry mail.RetryPolicy
	// Lease is how long a claim keeps other workers away; it must exceed
	// SendTimeout so a slow but live worker is not overtaken.
	Lease        time.Duration
	SendTimeout  time.Duration
	PollInterval time.Duration
	BatchSize    int
}

// Worker delivers the outbox: DeliverDue is one pass (the deliver_mail
// job), Run the worker loop inside `serve`.
type Worker struct {
	d     WorkerDeps
	nudge chan struct{}
}

var _ mailport.Delivery = (*Worker)(nil)

// NewWorker checks the dependencies and fills in defaults.
func NewWorker(d WorkerDeps) (*Worker, error) {
	if d.Outbox == nil || d.Sender == nil || d.Renderer == nil || d.Sealer == nil || d.Clock == nil {
		return nil, errors.New("mailapp: Outbox, Sender, Renderer, Sealer and Clock are required")
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
	if d.MessageIDDomain == "" {
		d.MessageIDDomain = DefaultMessageIDDomain
	}
	if d.SendTimeout <= 0 {
		d.SendTimeout = DefaultSendTimeout
	}
	if d.Lease <= 0 {
		d.Lease = DefaultLease
	}
	if d.Lease <= d.SendTimeout {
		return nil, errors.New("mailapp: the lease must be longer than the send timeout")
	}
	if d.PollInterval <= 0 {
		d.PollInterval = DefaultPollInterval
	}
	if d.BatchSize <= 0 {
		d.BatchSize = DefaultBatchSize
	}
	return &Worker{d: d, nudge: make(chan struct{}, 1)}, nil
}

// Nudge wakes Run at once (a mail was just enqueued). It never blocks.
func (w *Worker) Nudge() {
	select {
	case w.nudge <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends: a pass at start, then one every
// PollInterval or as soon as Nudge is called. A failed pass is logged and
// the loop goes on.
func (w *Worker) Run(ctx context.Context) error {
	ticker := time.NewTicker(w.d.PollInterval)
	defer ticker.Stop()
	for {
		if _, err := w.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			w.d.Logger.ErrorContext(ctx, "mail delivery pass failed", "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		case <-w.nudge:
		}
	}
}

// DeliverDue implements mailport.Delivery.
func (w *Worker) DeliverDue(ctx context.Context) (mailport.DeliveryReport, error) {
	var rep mailport.DeliveryReport
	for ctx.Err() == nil {
		claimed, err := w.d.Outbox.Claim(ctx, mailport.ClaimRequest{
			Owner: w.d.Owner, Now: w.d.Clock.Now(), Lease: w.d.Lease, Limit: w.d.BatchSize,
		})
		if err != nil {
			return rep, fmt.Errorf("claim mail: %w", err)
		}
		if len(claimed) == 0 {
			return rep, nil
		}
		var errs []error
		for _, m := range claimed {
			status, err := w.deliver(ctx, m)
			switch status {
			case mail.StatusSent:
				rep.Sent++
			case mail.StatusExpired:
				rep.Expired++
			default:
				rep.Failed++
			}
			if err != nil {
				errs = append(errs, err)
			}
		}
		// A message that could not be settled stays leased; stop this pass
		// rather than spin on a store that fails.
		if err := errors.Join(errs...); err != nil {
			return rep, err
		}
	}
	return rep, ctx.Err()
}

// deliver sends one claimed message (or gives it up) and settles it. It
// returns the message's new status; the error is about settling only.
func (w *Worker) deliver(ctx context.Context, m *mail.Message) (mail.Status, error) {
	log := w.d.Logger.With("mail_id", m.ID().String(), "template", m.Template().String())
	now := w.d.Clock.Now()
	if m.Expired(now) {
		if err := m.Expire(now); err != nil {
			return mail.StatusPending, err
		}
		w.d.Meter.Add(platformport.MetricMailDeliveries, "expired", 1)
		log.WarnContext(ctx, "mail given up unsent: its deadline passed", "attempts", m.Attempts(), "last_error", m.LastError())
	} else {
		sendErr := w.send(ctx, m)
		now = w.d.Clock.Now()
		if sendErr == nil {
			if err := m.MarkSent(now, w.d.Sender.Channel()); err != nil {
				return mail.StatusPending, err
			}
			w.d.Meter.Add(platformport.MetricMailDeliveries, "sent", 1)
			log.InfoContext(ctx, "mail delivered", "channel", w.d.Sender.Channel().String(), "attempts", m.Attempts()+1)
		} else {
			if err := m.RecordFailure(now, sendErr.Error(), w.d.Retry); err != nil {
				return mail.StatusPending, err
			}
			w.d.Meter.Add(platformport.MetricMailDeliveries, "failed", 1)
			log.WarnContext(ctx, "mail delivery failed; will retry",
				"attempts", m.Attempts(), "next_attempt_at", m.NextAttemptAt().Format(time.RFC3339), "error", m.LastError())
		}
	}
	// Detached from shutdown: a mail the server accepted must be recorded
	// even while the worker is stopping, or it would be sent again.
	settleCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := w.d.Outbox.Settle(settleCtx, w.d.Owner, m); err != nil {
		if errors.Is(err, mail.ErrLeaseLost) {
			log.WarnContext(ctx, "mail was taken over by another worker", "status", m.Status().String())
			return m.Status(), nil
		}
		return m.Status(), fmt.Errorf("settle mail %s: %w", m.ID(), err)
	}
	return m.Status(), nil
}

// send opens, renders and sends m. Its errors never carry the template
// data: they are stored as the message's last error and logged.
func (w *Worker) send(ctx context.Context, m *mail.Message) error {
	out, err := w.compose(ctx, m)
	if err != nil {
		return err
	}
	sendCtx, cancel := context.WithTimeout(ctx, w.d.SendTimeout)
	defer cancel()
	return w.d.Sender.Send(sendCtx, out)
}

func (w *Worker) compose(ctx context.Context, m *mail.Message) (mailport.Outgoing, error) {
	payload, err := w.d.Sealer.Open(ctx, string(m.Data()), associatedData(m.ID()))
	if err != nil {
		return mailport.Outgoing{}, fmt.Errorf("open mail data: %w", err)
	}
	data, ok := mailport.NewTemplateData(m.Template())
	if !ok {
		return mailport.Outgoing{}, fmt.Errorf("no data type for template %s", m.Template())
	}
	if err := json.Unmarshal(payload, data); err != nil {
		return mailport.Outgoing{}, errors.New("decode mail data: stored data does not match its template")
	}
	r, err := w.d.Renderer.Render(m.Locale(), data)
	if err != nil {
		return mailport.Outgoing{}, fmt.Errorf("render mail: %w", err)
	}
	out := mailport.Outgoing{
		To: m.To().String(), Subject: r.Subject, Text: r.Text, HTML: r.HTML,
		MessageID: m.ID().String() + "@" + w.d.MessageIDDomain, Date: m.CreatedAt(),
	}
	if rt, ok := data.(mailport.ReplyTo); ok {
		out.ReplyToName, out.ReplyToAddress = rt.ReplyTo()
	}
	return out, nil
}
