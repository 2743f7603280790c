package organizationsapp

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
)

// DeclineInvitation implements organizationsport.Service.
func (s *Service) DeclineInvitation(ctx context.Context, actor shared.UserID, id uuid.UUID) error {
	email, rec, err := s.invitationByID(ctx, actor, id)
	if err != nil {
		return err
	}
	return s.useInvitation(ctx, actor, email, rec, func(o *organizations.Organization, now time.Time) error {
		return o.DeclineInvitation(id, actor, email, now)
	})
}
