package organizationsapp

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/organizationsport"
)

// maxTokenLength bounds a link token read from a client before it is
// hashed; real ones have 43 characters.
const maxTokenLength = 128

// AcceptInvitation implements organizationsport.Service.
func (s *Service) AcceptInvitation(ctx context.Context, actor shared.UserID, id uuid.UUID) (organizationsport.OrganizationView, error) {
	email, rec, err := s.invitationByID(ctx, actor, id)
	if err != nil {
		return organizationsport.OrganizationView{}, err
	}
	return s.accept(ctx, actor, email, rec)
}

// AcceptInvitationByToken implements organizationsport.Service. The token
// is looked up by its SHA-256 only; whoever holds a link still has to be
// signed in as the invited address.
func (s *Service) AcceptInvitationByToken(ctx context.Context, actor shared.UserID, token string) (organizationsport.OrganizationView, error) {
	if token == "" || len(token) > maxTokenLength {
		return organizationsport.OrganizationView{}, organizations.ErrInvitationNotFound
	}
	email, err := s.acceptingEmail(ctx, actor)
	if err != nil {
		return organizationsport.OrganizationView{}, err
	}
	rec, err := s.repo.FindInvitationByToken(ctx, s.tokens.Hash(token))
	if err != nil {
		return organizationsport.OrganizationView{}, err
	}
	return s.accept(ctx, actor, email, rec)
}

// accept makes actor a member through rec, in one transaction with the
// audit records of the acceptance and the new membership.
func (s *Service) accept(ctx context.Context, actor shared.UserID, email string, rec organizationsport.InvitationRecord) (organizationsport.OrganizationView, error) {
	var view organizationsport.OrganizationView
	err := s.useInvitation(ctx, actor, email, rec, func(o *organizations.Organization, now time.Time) error {
		if _, err := o.AcceptInvitation(rec.Invitation.ID(), actor, email, now); err != nil {
			return err
		}
		view = viewOf(o, actor)
		return nil
	})
	if err != nil {
		return organizationsport.OrganizationView{}, err
	}
	return view, nil
}
