package organizationsapp

import (
	"context"
	"fmt"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/organizationsport"
	"github.com/secuird/authy/ports/sessionsport"
)

// enrolmentPage is how many memberships one read of EnrolmentDue takes.
const enrolmentPage = 100

var _ sessionsport.EnrolmentPolicy = (*Service)(nil)

// EnrolmentDue implements sessionsport.EnrolmentPolicy: the organizations
// of user that require a second factor, when user has none. The factor is
// asked only of a member of such an organization, so a sign-in of anyone
// else costs one read of their memberships. An organization that method
// (a sign-in through its connection vouching for its identity provider's
// MFA) satisfies is not due.
func (s *Service) EnrolmentDue(ctx context.Context, user shared.UserID, method sessionsport.AuthMethod) ([]sessionsport.EnrolmentDue, error) {
	var due []sessionsport.EnrolmentDue
	var after *organizationsport.MembershipKey
	for {
		rows, err := s.repo.ListForUser(ctx, user, after, enrolmentPage)
		if err != nil {
			return nil, fmt.Errorf("list organizations of user: %w", err)
		}
		for _, r := range rows {
			if r.RequireMFA {
				due = append(due, sessionsport.EnrolmentDue{Organization: r.ID, Name: r.Name})
			}
		}
		if len(rows) < enrolmentPage {
			break
		}
		last := rows[len(rows)-1]
		after = &organizationsport.MembershipKey{JoinedAt: last.JoinedAt, Organization: last.ID}
	}
	if len(due) == 0 {
		return nil, nil
	}
	has, err := s.hasFactor(ctx, user)
	if err != nil {
		return nil, err
	}
	if has {
		return nil, nil
	}
	owed := due[:0]
	for _, d := range due {
		vouched, err := s.methodVouches(ctx, d.Organization, method)
		if err != nil {
			return nil, err
		}
		if !vouched {
			owed = append(owed, d)
		}
	}
	if len(owed) == 0 {
		return nil, nil
	}
	return owed, nil
}
