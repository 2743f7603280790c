package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"os"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/httpapi/contacthttp"
	"github.com/secuird/authy/adapters/pgstore/contactpg"
	mailsmtp "github.com/secuird/authy/adapters/smtp"
	"github.com/secuird/authy/application/contactapp"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/contactport"
	"github.com/secuird/authy/ports/platformport"
)

// jobDeliverMail is the name of the contact mail job and worker.
const jobDeliverMail = "deliver_mail"

// errMailNotConfigured is why no instance in production delivers mail
// without SMTP_URL.
var errMailNotConfigured = errors.New("SMTP_URL is not set: in production mail is never written to the log in place of " +
	"being sent, so it stays queued in the database until an instance with SMTP_URL delivers it")

// wireContact builds the contact context on the app's database (enquiries,
// their outbox and the audit record commit together) and the app's rate
// limiter (Redis when configured, so the per-IP limit is shared by every
// instance), mounts POST /api/v1/contact, and registers the mail delivery
// both as a worker inside `serve` and as the `deliver_mail` job, with the
// "mail" health check. Without SMTP_URL, development and testing write the
// mail to the log; production delivers none (the outbox is shared by every
// instance, so one misconfigured instance would otherwise mark the
// cluster's mail delivered): it keeps the mail queued, starts no worker,
// refuses the job and reports the queue in /api/health.
func (a *App) wireContact(api fiber.Router, rec auditport.Recorder) error {
	if rec == nil {
		return errors.New("wire contact: the audit recorder is required")
	}
	if to, err := mail.ParseAddressList(a.cfg.ContactEmailTo); err != nil || len(to) == 0 {
		return errors.New("CONTACT_EMAIL_TO must be an email address (or a comma-separated list)")
	}
	store := contactpg.New(a.db)
	var mailer contactport.Mailer
	switch {
	case a.cfg.SMTPURL != "":
		sender, err := mailsmtp.NewSender(mailsmtp.Config{URL: a.cfg.SMTPURL, From: a.cfg.MailFrom})
		if err != nil {
			return fmt.Errorf("wire contact: %w", err)
		}
		a.log.Info("contact mails go over SMTP", "server", sender.Server(), "to", a.cfg.ContactEmailTo)
		mailer = sender
		a.checks = append(a.checks, mailCheck("smtp", nil))
	case a.cfg.Production():
		a.log.Warn("SMTP_URL is not set: contact enquiries are stored and their mail stays queued; " +
			"this instance delivers no mail (see mail in /api/health)")
		a.checks = append(a.checks, mailCheck("none", store))
	default:
		mailer = mailsmtp.NewLogSender(a.log)
		a.checks = append(a.checks, mailCheck("log", nil))
	}
	var onAccepted func()
	if mailer != nil {
		dispatcher, err := contactapp.NewDispatcher(contactapp.DispatcherDeps{
			Store:     store,
			Mailer:    mailer,
			Recipient: a.cfg.ContactEmailTo,
			Clock:     a.clock,
			Meter:     a.meter,
			Logger:    a.log.With("component", "contact_mail"),
			Owner:     workerOwner(),
		})
		if err != nil {
			return fmt.Errorf("wire contact: %w", err)
		}
		onAccepted = dispatcher.Nudge
		a.workers = append(a.workers, Worker{Name: jobDeliverMail, Run: dispatcher.Run})
		a.addJob(Job{
			Name:        jobDeliverMail,
			Description: "send the pending contact mails to CONTACT_EMAIL_TO (over SMTP_URL, or to the log outside production)",
			RunOnce: func(ctx context.Context) error {
				rep, err := dispatcher.DeliverDue(ctx)
				a.log.Info("contact mail delivery pass", "sent", rep.Sent, "failed", rep.Failed)
				return err
			},
		})
	} else {
		a.addJob(Job{
			Name:        jobDeliverMail,
			Description: "send the pending contact mails to CONTACT_EMAIL_TO (refused: " + errMailNotConfigured.Error() + ")",
			Refusal:     errMailNotConfigured,
		})
	}
	svc, err := contactapp.NewService(contactapp.Deps{
		Store:      store,
		Audit:      rec,
		Limiter:    a.limiter,
		Clock:      a.clock,
		Meter:      a.meter,
		OnAccepted: onAccepted,
	})
	if err != nil {
		return fmt.Errorf("wire contact: %w", err)
	}
	contacthttp.Register(api, svc)
	return nil
}

// mailCheck reports how this instance delivers mail: over "smtp", to the
// "log" (outside production), or "none" — not configured, with the mail
// queued meanwhile. It is never required: the API serves without mail.
func mailCheck(backend string, queue *contactpg.Store) platformport.HealthCheck {
	return platformport.HealthCheck{
		Name: "mail", Backend: backend,
		Report: func(ctx context.Context) platformport.HealthReport {
			if queue == nil {
				return platformport.HealthReport{Status: platformport.HealthUp}
			}
			rep := platformport.HealthReport{Status: platformport.HealthNotConfigured}
			if n, err := queue.Queued(ctx); err == nil {
				rep.Queued = &n
			}
			return rep
		},
	}
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
