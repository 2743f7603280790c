package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/mailtemplates"
	"github.com/secuird/authy/adapters/pgstore/mailpg"
	mailsmtp "github.com/secuird/authy/adapters/smtp"
	"github.com/secuird/authy/application/mailapp"
	"github.com/secuird/authy/ports/mailport"
	"github.com/secuird/authy/ports/platformport"
)

// jobDeliverMail is the name of the mail job and worker.
const jobDeliverMail = "deliver_mail"

// mailFeedInterval is how often mail queued outside the outbox (the old
// contact outbox) is handed over.
const mailFeedInterval = time.Minute

// errMailNotConfigured is why no instance in production delivers mail
// without SMTP_URL.
var errMailNotConfigured = errors.New("SMTP_URL is not set: in production mail is never written to the log in place of " +
	"being sent, so it stays queued in the database until an instance with SMTP_URL delivers it")

// mailFeed moves mail queued elsewhere into the outbox (contact's
// hand-over of its old outbox); it reports how many it moved.
type mailFeed func(ctx context.Context) (int, error)

// mailWiring is what the mail context hands to the contexts wired after
// it: the Enqueuer, and the feeds they add (run by the mail workers).
type mailWiring struct {
	mailport.Enqueuer
	feeds []mailFeed
}

// wireMail builds the mail context on the app's database: the one outbox
// every context enqueues into inside its own transaction (template data
// sealed with the ENCRYPTION_KEY keyring), the templates (links from
// PUBLIC_URL), and the delivery, both as a worker inside `serve` and as the
// `deliver_mail` job, with the "mail" health check. Without SMTP_URL,
// development and testing write the mail to the log; production delivers
// none (the outbox is shared by every instance, so one misconfigured
// instance would otherwise mark the cluster's mail delivered): it keeps the
// mail queued, starts no worker, refuses the job and reports the queue in
// /api/health. It returns the Enqueuer the other contexts are given.
func (a *App) wireMail() (*mailWiring, error) {
	if a.db == nil || a.keyring == nil {
		return nil, errors.New("wire mail: the database and the ENCRYPTION_KEY keyring are required")
	}
	// Built in every configuration, so a PUBLIC_URL that cannot base a link
	// stops the server at start rather than at the first mail.
	renderer, err := mailtemplates.New(mailtemplates.Options{PublicURL: a.cfg.PublicURL})
	if err != nil {
		return nil, fmt.Errorf("wire mail: %w", err)
	}
	outbox := mailpg.New(a.db)
	m := &mailWiring{}
	var sender mailport.Sender
	switch {
	case a.cfg.SMTPURL != "":
		s, err := mailsmtp.NewSender(mailsmtp.Config{URL: a.cfg.SMTPURL, From: a.cfg.MailFrom})
		if err != nil {
			return nil, fmt.Errorf("wire mail: %w", err)
		}
		a.log.Info("mail goes over SMTP", "server", s.Server())
		sender = s
		a.checks = append(a.checks, mailCheck("smtp", nil))
	case a.cfg.Production():
		a.log.Warn("SMTP_URL is not set: mail (contact enquiries, account links) is stored and stays queued; " +
			"this instance delivers no mail (see mail in /api/health)")
		a.checks = append(a.checks, mailCheck("none", outbox))
	default:
		sender = mailsmtp.NewLogSender(a.log)
		a.checks = append(a.checks, mailCheck("log", nil))
	}
	var onEnqueued func()
	if sender != nil {
		worker, err := mailapp.NewWorker(mailapp.WorkerDeps{
			Outbox:          outbox,
			Sender:          sender,
			Renderer:        renderer,
			Sealer:          a.keyring,
			Clock:           a.clock,
			Meter:           a.meter,
			Logger:          a.log.With("component", "mail"),
			Owner:           workerOwner(),
			MessageIDDomain: messageIDDomain(a.cfg.MailFrom),
		})
		if err != nil {
			return nil, fmt.Errorf("wire mail: %w", err)
		}
		onEnqueued = worker.Nudge
		a.workers = append(a.workers, Worker{Name: jobDeliverMail, Run: worker.Run})
		a.addJob(Job{
			Name:        jobDeliverMail,
			Description: "send the queued mail (over SMTP_URL, or to the log outside production)",
			RunOnce: func(ctx context.Context) error {
				m.feed(ctx, a.log)
				rep, err := worker.DeliverDue(ctx)
				a.log.Info("mail delivery pass", "sent", rep.Sent, "failed", rep.Failed, "expired", rep.Expired)
				return err
			},
		})
	} else {
		a.addJob(Job{
			Name:        jobDeliverMail,
			Description: "send the queued mail (refused: " + errMailNotConfigured.Error() + ")",
			Refusal:     errMailNotConfigured,
		})
	}
	// The feeds run on every instance, delivering or not: handing mail over
	// only moves it into the outbox.
	a.workers = append(a.workers, Worker{Name: "mail_handover", Run: func(ctx context.Context) error {
		m.feedEvery(ctx, a.log, mailFeedInterval)
		return nil
	}})
	svc, err := mailapp.NewService(mailapp.Deps{
		Outbox: outbox, Sealer: a.keyring, UnitOfWork: a.db, Clock: a.clock, OnEnqueued: onEnqueued,
	})
	if err != nil {
		return nil, fmt.Errorf("wire mail: %w", err)
	}
	m.Enqueuer = svc
	return m, nil
}

// feed runs every mail feed once; a failure is logged and retried at the
// next run.
func (m *mailWiring) feed(ctx context.Context, log *slog.Logger) {
	for _, feed := range m.feeds {
		n, err := feed(ctx)
		if err != nil && ctx.Err() == nil {
			log.Error("mail hand-over failed", "error", err.Error())
		}
		if n > 0 {
			log.Info("mail handed over to the outbox", "count", n)
		}
	}
}

// feedEvery runs the feeds at once and then every interval until ctx ends.
func (m *mailWiring) feedEvery(ctx context.Context, log *slog.Logger, interval time.Duration) {
	if len(m.feeds) == 0 {
		return
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		m.feed(ctx, log)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// mailCheck reports how this instance delivers mail: over "smtp", to the
// "log" (outside production), or "none" — not configured, with the mail
// queued meanwhile. It is never required: the API serves without mail.
func mailCheck(backend string, queue mailport.Outbox) platformport.HealthCheck {
	return platformport.HealthCheck{
		Name: "mail", Backend: backend,
		Report: func(ctx context.Context) platformport.HealthReport {
			if queue == nil {
				return platformport.HealthReport{Status: platformport.HealthUp}
			}
			rep := platformport.HealthReport{Status: platformport.HealthNotConfigured}
			if b, err := queue.Backlog(ctx); err == nil {
				rep.Queued = &b.Pending
			}
			return rep
		},
	}
}

// messageIDDomain is the right-hand side of Message-IDs: the domain of
// MAIL_FROM, so receivers see ids of the sending domain.
func messageIDDomain(from string) string {
	if a, err := mail.ParseAddress(from); err == nil {
		if i := strings.LastIndexByte(a.Address, '@'); i >= 0 && i < len(a.Address)-1 {
			return a.Address[i+1:]
		}
	}
	return mailapp.DefaultMessageIDDomain
}

// workerOwner names this process in outbox leases, for operators reading
// the table: host, pid and a random suffix (two workers in one process, as
// in tests, stay distinct).
func workerOwner() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), uuid.NewString()[:8])
}
