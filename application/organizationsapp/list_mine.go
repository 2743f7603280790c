package organizationsapp

import (
	"context"
	"fmt"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/organizationsport"
)

// ListMine implements organizationsport.Service.
func (s *Service) ListMine(ctx context.Context, actor shared.UserID, page organizationsport.Page) (organizationsport.OrganizationPage, error) {
	cur, err := decodeCursor(page.Cursor, "o")
	if err != nil {
		return organizationsport.OrganizationPage{}, err
	}
	limit := clampLimit(page.Limit)
	rows, err := s.repo.ListForUser(ctx, actor, cur.membershipKey(), limit+1)
	if err != nil {
		return organizationsport.OrganizationPage{}, fmt.Errorf("list organizations of user: %w", err)
	}
	var out organizationsport.OrganizationPage
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		out.NextCursor = cursor{kind: "o", at: last.JoinedAt, id: [16]byte(last.ID)}.encode()
	}
	for _, r := range rows {
		out.Items = append(out.Items, summaryView(r))
	}
	return out, nil
}
