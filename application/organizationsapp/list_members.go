package organizationsapp

import (
	"context"
	"fmt"

	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/organizationsport"
)

// ListMembers implements organizationsport.Service: active members only;
// pending invitations are ListInvitations' (owners and admins).
func (s *Service) ListMembers(ctx context.Context, actor shared.UserID, id shared.OrganizationID, page organizationsport.Page) (organizationsport.MemberPage, error) {
	if _, err := s.readable(ctx, actor, id); err != nil {
		return organizationsport.MemberPage{}, err
	}
	cur, err := decodeCursor(page.Cursor, "m")
	if err != nil {
		return organizationsport.MemberPage{}, err
	}
	limit := clampLimit(page.Limit)
	members, err := s.repo.ListMembers(ctx, id, cur.memberKey(), limit+1)
	if err != nil {
		return organizationsport.MemberPage{}, fmt.Errorf("list members: %w", err)
	}
	var out organizationsport.MemberPage
	if len(members) > limit {
		members = members[:limit]
		last := members[len(members)-1]
		out.NextCursor = cursor{kind: "m", at: last.JoinedAt(), id: [16]byte(last.User())}.encode()
	}
	if out.Items, err = s.memberViews(ctx, members); err != nil {
		return organizationsport.MemberPage{}, err
	}
	return out, nil
}

// memberViews joins memberships with identity's view of the users. A user
// identity no longer knows (an account being deleted right now) is left out.
func (s *Service) memberViews(ctx context.Context, members []organizations.Membership) ([]organizationsport.MemberView, error) {
	if len(members) == 0 {
		return nil, nil
	}
	ids := make([]shared.UserID, len(members))
	for i, m := range members {
		ids[i] = m.User()
	}
	users, err := s.dir.GetMany(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("look up members: %w", err)
	}
	out := make([]organizationsport.MemberView, 0, len(members))
	for _, m := range members {
		if u, ok := users[m.User()]; ok {
			out = append(out, activeView(m, u))
		}
	}
	return out, nil
}
