package organizationsapp

import (
	"context"

	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/organizationsport"
)

// Get implements organizationsport.Service.
func (s *Service) Get(ctx context.Context, actor shared.UserID, id shared.OrganizationID) (organizationsport.OrganizationView, error) {
	sum, err := s.readable(ctx, actor, id)
	if err != nil {
		return organizationsport.OrganizationView{}, err
	}
	return summaryView(sum), nil
}

// MemberRole implements organizationsport.Access.
func (s *Service) MemberRole(ctx context.Context, id shared.OrganizationID, user shared.UserID) (string, error) {
	sum, err := s.readable(ctx, user, id)
	if err != nil {
		return "", err
	}
	return sum.Role.String(), nil
}

// readable loads the organization with actor's membership and applies the
// read rule and the multi-factor policy (every context's question "what is
// this user's role here?" passes through it).
func (s *Service) readable(ctx context.Context, actor shared.UserID, id shared.OrganizationID) (organizationsport.OrganizationSummary, error) {
	sum, err := s.repo.Find(ctx, id, actor)
	if err != nil {
		return organizationsport.OrganizationSummary{}, err
	}
	if err := organizations.AuthorizeRead(sum.Role); err != nil {
		return organizationsport.OrganizationSummary{}, err
	}
	if err := s.enforceMFA(ctx, sum, actor); err != nil {
		return organizationsport.OrganizationSummary{}, err
	}
	return sum, nil
}
