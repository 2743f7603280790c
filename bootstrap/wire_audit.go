package bootstrap

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/adapters/httpapi/audithttp"
	"github.com/secuird/authy/adapters/pgstore/auditpg"
	"github.com/secuird/authy/application/auditapp"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/organizationsport"
	"github.com/secuird/authy/ports/sessionsport"
)

// wireAuditRecorder builds the recorder every other context calls. It
// writes through the app's database handle, so records join the caller's
// transaction (the unit of work is the *pgstore.DB itself), and counts
// written records on the meter after each commit.
func (a *App) wireAuditRecorder() (auditport.Recorder, error) {
	if a.db == nil {
		return nil, errors.New("wire audit: the database is required")
	}
	return auditapp.NewRecorder(auditpg.New(a.db), a.db, a.clock, a.meter), nil
}

// mountAudit mounts the audit read API: a user's own records, and an
// organization's records for its owners and admins (access answers the
// caller's role). It is mounted last, once organizations are wired.
func (a *App) mountAudit(api fiber.Router, auth sessionsport.Authenticator, access organizationsport.Access) error {
	switch {
	case auth == nil:
		return errors.New("mount audit: the authenticator is required")
	case access == nil:
		return errors.New("mount audit: the organizations access port is required")
	}
	audithttp.Register(api, auditapp.NewReader(auditpg.New(a.db), access), auth)
	return nil
}
