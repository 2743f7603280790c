package bootstrap

import (
	"context"
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/adapters/httpapi/audithttp"
	"github.com/secuird/authy/adapters/pgstore/auditpg"
	"github.com/secuird/authy/application/auditapp"
	"github.com/secuird/authy/domain/audit"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/organizationsport"
	"github.com/secuird/authy/ports/sessionsport"
)

// The audit sealer as a serve worker and as a job.
const (
	workerAuditSealer = "audit_sealer"
	jobSealAudit      = "seal_audit"
)

// wireAuditRecorder builds the recorder every other context calls and the
// sealer that chains what it writes. The recorder writes through the app's
// database handle, so records join the caller's transaction (the unit of
// work is the *pgstore.DB itself), counts written records on the meter
// after each commit and then wakes this instance's sealer. The sealer runs
// inside `serve` on every instance (the store lets one seal at a time) and
// as the seal_audit job.
func (a *App) wireAuditRecorder() (auditport.Recorder, error) {
	if a.db == nil {
		return nil, errors.New("wire audit: the database is required")
	}
	store := auditpg.New(a.db)
	sealer, err := auditapp.NewSealer(auditapp.SealerDeps{
		Store: store, Meter: a.meter, Logger: a.log, Interval: a.cfg.AuditSealInterval,
	})
	if err != nil {
		return nil, err
	}
	rec := auditapp.NewRecorder(store, a.db, a.clock, a.meter)
	rec.AfterCommit(sealer.Wake)
	a.workers = append(a.workers, Worker{Name: workerAuditSealer, Run: sealer.Run})
	a.addJob(Job{
		Name:        jobSealAudit,
		Description: "place committed audit records in the hash chain (serve runs it continuously)",
		RunOnce: func(ctx context.Context) error {
			// Another instance holding the head is sealing these records.
			if _, err := sealer.SealPending(ctx); err != nil && !errors.Is(err, audit.ErrSealerBusy) {
				return err
			}
			return nil
		},
	})
	return rec, nil
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
