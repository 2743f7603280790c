package organizationsapp

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/organizationsport"
)

// CancelInvitation implements organizationsport.Service. An invitation of
// this organization that is closed already answers with its state; one of
// another organization is unknown here.
func (s *Service) CancelInvitation(ctx context.Context, actor shared.UserID, org shared.OrganizationID, id uuid.UUID) error {
	return s.cancelInvitation(ctx, actor, org, id, interactive)
}

// CancelProvisionedInvitation implements organizationsport.Provisioner.
func (s *Service) CancelProvisionedInvitation(ctx context.Context, actor shared.UserID, org shared.OrganizationID, id uuid.UUID) error {
	return s.cancelInvitation(ctx, actor, org, id, credential)
}

func (s *Service) cancelInvitation(ctx context.Context, actor shared.UserID, org shared.OrganizationID, id uuid.UUID, by access) error {
	if err := s.gateBy(ctx, actor, org, by); err != nil {
		return err
	}
	now := s.now()
	scope := organizationsport.Scope{Users: []shared.UserID{actor}, Invitations: []uuid.UUID{id}}
	err := s.change(ctx, org, scope, func(o *organizations.Organization) error { return o.CancelInvitation(actor, id, now) })
	if errors.Is(err, organizations.ErrInvitationNotFound) {
		if rec, ferr := s.repo.FindInvitation(ctx, id); ferr == nil && rec.Organization == org {
			return organizations.ClosedInvitationError(rec.Invitation.Status())
		}
	}
	return err
}
