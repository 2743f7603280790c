package bootstrap

import (
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/adapters/httpapi/organizationshttp"
	"github.com/secuird/authy/adapters/pgstore/organizationspg"
	"github.com/secuird/authy/application/organizationsapp"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/organizationsport"
)

// wireOrganizations builds the organizations context on the app's database
// (its unit of work is the DB transaction the audit recorder joins), hooks
// it into identity's registration (pending invitations become memberships)
// and account deletion (the sole-owner guard), and mounts its routes. It
// returns the service (whose Access the audit read API uses).
func (a *App) wireOrganizations(api fiber.Router, rec auditport.Recorder, id identityWiring) (organizationsport.Service, error) {
	switch {
	case rec == nil:
		return nil, errors.New("wire organizations: the audit recorder is required")
	case id.Auth == nil || id.Directory == nil || id.AddRegistrationListener == nil || id.SetDeletionGuard == nil:
		return nil, errors.New("wire organizations: identity's authenticator, directory and hooks are required")
	}
	store := organizationspg.New(a.db)
	svc, err := organizationsapp.New(organizationsapp.Deps{
		UnitOfWork:    store,
		Organizations: store,
		Directory:     id.Directory,
		Recorder:      rec,
		Clock:         a.clock,
	})
	if err != nil {
		return nil, fmt.Errorf("wire organizations: %w", err)
	}
	id.AddRegistrationListener(svc)
	id.SetDeletionGuard(svc)
	organizationshttp.Register(api, svc, id.Auth)
	return svc, nil
}
