package bootstrap

import (
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/adapters/httpapi/organizationshttp"
	"github.com/secuird/authy/adapters/pgstore/organizationspg"
	"github.com/secuird/authy/adapters/security"
	"github.com/secuird/authy/application/organizationsapp"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/organizationsport"
	"github.com/secuird/authy/ports/platformport"
)

// WithInvitationNotifier hands every new invitation, with its link token,
// to n inside the transaction that stores it, in place of the invitation
// mail (tests capture the token this way). Without it the invitation mail
// is queued in the mail outbox.
func WithInvitationNotifier(n organizationsport.InvitationNotifier) Option {
	return func(o *buildOptions) { o.invitations = n }
}

// wireOrganizations builds the organizations context on the app's database
// (its unit of work is the DB transaction the audit recorder joins), hooks
// it into identity's account deletion (the sole-owner guard), and mounts
// its routes. Registration no longer touches organizations: an invitation
// becomes a membership only when its invitee accepts it. It returns the
// service (whose Access the audit read API uses).
func (a *App) wireOrganizations(api fiber.Router, rec auditport.Recorder, id identityWiring, mailer *mailWiring) (organizationsport.Service, error) {
	switch {
	case rec == nil:
		return nil, errors.New("wire organizations: the audit recorder is required")
	case id.Auth == nil || id.Directory == nil || id.SetDeletionGuard == nil:
		return nil, errors.New("wire organizations: identity's authenticator, directory and deletion hook are required")
	case a.limiter == nil:
		return nil, errors.New("wire organizations: the rate limiter is required")
	}
	notifier := a.invitations
	if notifier == nil && mailer != nil {
		notifier = invitationMailer{mail: mailer, directory: id.Directory}
	}
	store := organizationspg.New(a.db)
	svc, err := organizationsapp.New(organizationsapp.Deps{
		UnitOfWork:    a.db,
		Organizations: store,
		Directory:     id.Directory,
		Recorder:      rec,
		Clock:         a.clock,
		Tokens:        security.InvitationTokens{},
		Limiter:       a.limiter,
		Limits: organizationsapp.Limits{
			InvitePerUser:   platformport.Limit{Max: a.cfg.InvitationRateLimitPerUser, Window: time.Hour},
			InvitePerClient: platformport.Limit{Max: a.cfg.InvitationRateLimitPerIP, Window: time.Hour},
		},
		Meter:         a.meter,
		Notifier:      notifier,
		InvitationTTL: a.cfg.InvitationTTL,
	})
	if err != nil {
		return nil, fmt.Errorf("wire organizations: %w", err)
	}
	id.SetDeletionGuard(svc)
	organizationshttp.Register(api, svc, id.Auth)
	return svc, nil
}
