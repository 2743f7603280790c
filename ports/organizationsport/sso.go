package organizationsport

import (
	"context"

	"github.com/secuird/authy/domain/shared"
)

// SSOJoiner is what just-in-time provisioning by an organization's SSO
// connection asks of organizations.
//
// JoinThroughSSO makes user a member of org with role ("member" or
// "admin", never "owner": an identity provider cannot make owners) on the
// authority of the organization's own connection; a member already is
// organizations.ErrAlreadyMember (the role stays). The membership and its
// audit record join the unit of work ctx carries; a deleted organization
// is its not-found.
type SSOJoiner interface {
	JoinThroughSSO(ctx context.Context, org shared.OrganizationID, user shared.UserID, role string) error
}
