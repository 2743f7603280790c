package organizationsapp

import (
	"context"
	"fmt"

	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/organizationsport"
)

// ListInvitations implements organizationsport.Service.
func (s *Service) ListInvitations(ctx context.Context, actor shared.UserID, id shared.OrganizationID, page organizationsport.Page) (organizationsport.InvitationPage, error) {
	sum, err := s.repo.Find(ctx, id, actor)
	if err != nil {
		return organizationsport.InvitationPage{}, err
	}
	if err := s.enforceMFA(ctx, sum, actor); err != nil {
		return organizationsport.InvitationPage{}, err
	}
	if err := organizations.AuthorizeListInvitations(sum.Role); err != nil {
		return organizationsport.InvitationPage{}, err
	}
	cur, err := decodeCursor(page.Cursor, "i")
	if err != nil {
		return organizationsport.InvitationPage{}, err
	}
	limit := clampLimit(page.Limit)
	rows, err := s.repo.ListInvitations(ctx, id, s.now(), cur.invitationKey(), limit+1)
	if err != nil {
		return organizationsport.InvitationPage{}, fmt.Errorf("list invitations: %w", err)
	}
	var out organizationsport.InvitationPage
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		out.NextCursor = cursor{kind: "i", at: last.CreatedAt(), id: last.ID()}.encode()
	}
	for _, inv := range rows {
		out.Items = append(out.Items, invitationView(id, sum.Name, inv))
	}
	return out, nil
}

// ListMyInvitations implements organizationsport.Service.
func (s *Service) ListMyInvitations(ctx context.Context, actor shared.UserID, page organizationsport.Page) (organizationsport.InvitationPage, error) {
	cur, err := decodeCursor(page.Cursor, "n")
	if err != nil {
		return organizationsport.InvitationPage{}, err
	}
	email, err := s.acceptingEmail(ctx, actor)
	if err != nil {
		return organizationsport.InvitationPage{}, err
	}
	limit := clampLimit(page.Limit)
	rows, err := s.repo.ListInvitationsFor(ctx, email, s.now(), cur.invitationKey(), limit+1)
	if err != nil {
		return organizationsport.InvitationPage{}, fmt.Errorf("list invitations of the caller: %w", err)
	}
	var out organizationsport.InvitationPage
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1].Invitation
		out.NextCursor = cursor{kind: "n", at: last.CreatedAt(), id: last.ID()}.encode()
	}
	for _, r := range rows {
		out.Items = append(out.Items, invitationView(r.Organization, r.OrganizationName, r.Invitation))
	}
	return out, nil
}
