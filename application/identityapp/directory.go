package identityapp

import (
	"context"
	"fmt"

	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
)

// FindByEmail implements identityport.Directory.
func (s *Service) FindByEmail(ctx context.Context, email string) (identityport.UserSummary, error) {
	e, reason := identity.ParseEmail(email)
	if reason != "" {
		return identityport.UserSummary{}, identity.ErrUserNotFound
	}
	u, err := s.users.FindByEmail(ctx, e)
	if err != nil {
		return identityport.UserSummary{}, fmt.Errorf("find user by email: %w", err)
	}
	return summary(u), nil
}

// GetMany implements identityport.Directory.
func (s *Service) GetMany(ctx context.Context, ids []shared.UserID) (map[shared.UserID]identityport.UserSummary, error) {
	out := make(map[shared.UserID]identityport.UserSummary, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	seen := make(map[shared.UserID]bool, len(ids))
	uniq := make([]shared.UserID, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	users, err := s.users.GetMany(ctx, uniq)
	if err != nil {
		return nil, fmt.Errorf("get users: %w", err)
	}
	for _, u := range users {
		out[u.ID()] = summary(u)
	}
	return out, nil
}
