package bootstrap

import (
	"errors"
	"fmt"
	"net/mail"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/adapters/httpapi/contacthttp"
	"github.com/secuird/authy/adapters/pgstore/contactpg"
	"github.com/secuird/authy/application/contactapp"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
)

// wireContact builds the contact context on the app's database (the
// enquiry, its mail in the mail outbox and the audit record commit together)
// and the app's rate limiter (Redis when configured, so the per-IP limit is
// shared by every instance), and mounts POST /api/v1/contact. The mail goes
// to every CONTACT_EMAIL_TO address; the mail context delivers it. Mail left
// in contact's old outbox by earlier releases is handed over with the mail
// feeds.
func (a *App) wireContact(api fiber.Router, rec auditport.Recorder, mailer *mailWiring) error {
	if rec == nil || mailer == nil {
		return errors.New("wire contact: the audit recorder and the mail outbox are required")
	}
	team, err := contactTeam(a.cfg.ContactEmailTo)
	if err != nil {
		return err
	}
	svc, err := contactapp.NewService(contactapp.Deps{
		UnitOfWork: a.db,
		Enquiries:  contactpg.New(a.db),
		Legacy:     contactpg.NewLegacyMail(a.db),
		Mail:       mailer,
		Audit:      rec,
		Limiter:    a.limiter,
		Clock:      a.clock,
		Meter:      a.meter,
		Team:       team,
	})
	if err != nil {
		return fmt.Errorf("wire contact: %w", err)
	}
	contacthttp.Register(api, svc)
	mailer.feeds = append(mailer.feeds, svc.HandOverLegacyMail)
	return nil
}

// contactTeam parses CONTACT_EMAIL_TO: one address or a comma-separated
// list, display names allowed and dropped, each address in its canonical
// form.
func contactTeam(raw string) ([]shared.Email, error) {
	errBad := errors.New("CONTACT_EMAIL_TO must be an email address (or a comma-separated list)")
	list, err := mail.ParseAddressList(raw)
	if err != nil || len(list) == 0 {
		return nil, errBad
	}
	out := make([]shared.Email, 0, len(list))
	seen := map[shared.Email]bool{}
	for _, a := range list {
		e, reason := shared.ParseEmail(a.Address)
		if reason != "" {
			return nil, fmt.Errorf("%w: %s %s", errBad, a.Address, reason)
		}
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	return out, nil
}
