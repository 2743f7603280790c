package organizationsapp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/organizationsport"
)

// errEmailUnverified answers an invitee whose account has not proven its
// address: whoever registers an invited address without owning it must
// neither join nor see, accept or decline what was sent to it.
var errEmailUnverified = shared.Forbidden("organizations.email_unverified",
	"verify your email address to see and accept invitations")

// acceptingEmail is the address under which actor may accept, decline and
// list invitations: their account's email, as identity reports it, and
// only once identity reports it verified. It is the one place that decides
// whose an invitation is.
func (s *Service) acceptingEmail(ctx context.Context, actor shared.UserID) (string, error) {
	users, err := s.dir.GetMany(ctx, []shared.UserID{actor})
	if err != nil {
		return "", fmt.Errorf("look up the invitee: %w", err)
	}
	u, ok := users[actor]
	if !ok {
		return "", organizations.ErrInvitationNotFound
	}
	if !u.EmailVerified {
		return "", errEmailUnverified
	}
	email, ok := parseEmail(u.Email)
	if !ok {
		return "", organizations.ErrInvitationNotFound
	}
	return email, nil
}

// useInvitation runs fn (an acceptance or a refusal) on the invitation of
// rec for actor, whose email is email. Someone else's invitation answers
// like an unknown one; a closed one answers with its state; an expired one
// has its expiry recorded and answers ErrInvitationExpired.
func (s *Service) useInvitation(ctx context.Context, actor shared.UserID, email string, rec organizationsport.InvitationRecord,
	fn func(o *organizations.Organization, now time.Time) error) error {
	inv := rec.Invitation
	if !inv.IsFor(email) {
		return organizations.ErrInvitationNotFound
	}
	now := s.now()
	switch st := inv.StatusAt(now); {
	case st == organizations.StatusExpired && inv.Status() == organizations.StatusPending:
		return s.expired(ctx, rec.Organization, inv.ID(), now)
	case st != organizations.StatusPending:
		return organizations.ClosedInvitationError(st)
	}
	scope := organizationsport.Scope{Users: []shared.UserID{actor}, Invitations: []uuid.UUID{inv.ID()}}
	err := s.change(ctx, rec.Organization, scope, func(o *organizations.Organization) error { return fn(o, now) })
	switch {
	case errors.Is(err, organizations.ErrNotFound):
		// The organization was deleted in between, and its invitations with it.
		return organizations.ErrInvitationNotFound
	case errors.Is(err, organizations.ErrInvitationExpired):
		return s.expired(ctx, rec.Organization, inv.ID(), now)
	case errors.Is(err, organizations.ErrInvitationNotFound):
		// Closed in between (a concurrent acceptance): say how.
		if again, ferr := s.repo.FindInvitation(ctx, inv.ID()); ferr == nil && again.Invitation.IsFor(email) {
			return organizations.ClosedInvitationError(again.Invitation.Status())
		}
		return organizations.ErrInvitationNotFound
	}
	return err
}

// expired records the expiry of the invitation id and of a bounded batch of
// the organization's other due invitations, in a transaction of its own
// (the refused use rolls back), and answers ErrInvitationExpired.
func (s *Service) expired(ctx context.Context, org shared.OrganizationID, id uuid.UUID, now time.Time) error {
	scope := organizationsport.Scope{Invitations: []uuid.UUID{id}, DueBy: now, DueLimit: expireBatch}
	err := s.change(ctx, org, scope, func(o *organizations.Organization) error {
		o.ExpireDueInvitations(now)
		return nil
	})
	if err != nil && !errors.Is(err, organizations.ErrNotFound) {
		return fmt.Errorf("record invitation expiry: %w", err)
	}
	return organizations.ErrInvitationExpired
}

func (s *Service) invitationByID(ctx context.Context, actor shared.UserID, id uuid.UUID) (string, organizationsport.InvitationRecord, error) {
	email, err := s.acceptingEmail(ctx, actor)
	if err != nil {
		return "", organizationsport.InvitationRecord{}, err
	}
	rec, err := s.repo.FindInvitation(ctx, id)
	if err != nil {
		return "", organizationsport.InvitationRecord{}, err
	}
	return email, rec, nil
}
