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
)

// jobDeliverMail is the name of the contact mail job and worker.
const jobDeliverMail = "deliver_mail"

// wireContact builds the contact context on the app's database (enquiries,
// their outbox and the audit record commit together) and the app's rate
// limiter (Redis when configured, so the per-IP limit is shared by every
// instance), mounts POST /api/v1/contact, and registers the mail delivery
// both as a worker inside `serve` and as the `deliver_mail` job. Without
// SMTP_URL the mail is written to the log.
func (a *App) wireContact(api fiber.Router, rec auditport.Recorder) error {
	if rec == nil {
		return errors.New("wire contact: the audit recorder is required")
	}
	if to, err := mail.ParseAddressList(a.cfg.ContactEmailTo); err != nil || len(to) == 0 {
		return errors.New("CONTACT_EMAIL_TO must be an email address (or a comma-separated list)")
	}
	var mailer contactport.Mailer
	if a.cfg.SMTPURL == "" {
		mailer = mailsmtp.NewLogSender(a.log)
		if a.cfg.Production() {
			a.log.Warn("SMTP_URL is not set: contact enquiries are stored and their mails written to the log")
		}
	} else {
		sender, err := mailsmtp.NewSender(mailsmtp.Config{URL: a.cfg.SMTPURL, From: a.cfg.MailFrom})
		if err != nil {
			return fmt.Errorf("wire contact: %w", err)
		}
		a.log.Info("contact mails go over SMTP", "server", sender.Server(), "to", a.cfg.ContactEmailTo)
		mailer = sender
	}
	store := contactpg.New(a.db)
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
	svc, err := contactapp.NewService(contactapp.Deps{
		Store:      store,
		Audit:      rec,
		Limiter:    a.limiter,
		Clock:      a.clock,
		Meter:      a.meter,
		OnAccepted: dispatcher.Nudge,
	})
	if err != nil {
		return fmt.Errorf("wire contact: %w", err)
	}
	contacthttp.Register(api, svc)
	a.workers = append(a.workers, Worker{Name: jobDeliverMail, Run: dispatcher.Run})
	a.addJob(Job{
		Name:        jobDeliverMail,
		Description: "send the pending contact mails to CONTACT_EMAIL_TO (over SMTP_URL, or to the log)",
		RunOnce: func(ctx context.Context) error {
			rep, err := dispatcher.DeliverDue(ctx)
			a.log.Info("contact mail delivery pass", "sent", rep.Sent, "failed", rep.Failed)
			return err
		},
	})
	return nil
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
