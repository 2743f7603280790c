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

// CredentialRole implements organizationsport.Provisioner: MemberRole
// without the multi-factor policy.
func (s *Service) CredentialRole(ctx context.Context, id shared.OrganizationID, user shared.UserID) (string, error) {
	sum, err := s.readableBy(ctx, user, id, credential)
	if err != nil {
		return "", err
	}
	return sum.Role.String(), nil
}

// readable loads the organization with actor's membership and applies the
// read rule and the multi-factor policy (every context's question "what is
// this user's role here?" passes through it).
func (s *Service) readable(ctx context.Context, actor shared.UserID, id shared.OrganizationID) (organizationsport.OrganizationSummary, error) {
	return s.readableBy(ctx, actor, id, interactive)
}

// access says who is behind a request on a member's authority: the member
// themselves (the multi-factor policy applies) or a machine credential
// they created (it does not: the policy governs interactive access).
type access bool

const (
	interactive access = false
	credential  access = true
)

func (s *Service) readableBy(ctx context.Context, actor shared.UserID, id shared.OrganizationID, by access) (organizationsport.OrganizationSummary, error) {
	sum, err := s.repo.Find(ctx, id, actor)
	if err != nil {
		return organizationsport.OrganizationSummary{}, err
	}
	if err := organizations.AuthorizeRead(sum.Role); err != nil {
		return organizationsport.OrganizationSummary{}, err
	}
	if by == credential {
		return sum, nil
	}
	if err := s.enforceMFA(ctx, sum, actor); err != nil {
		return organizationsport.OrganizationSummary{}, err
	}
	return sum, nil
}
