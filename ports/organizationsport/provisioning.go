package organizationsport

import (
	"context"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
)

// ProvisionCommand adds User (or invites Email) to Organization with Role
// (empty: member), on the authority of Actor, under the grant rules of
// AddMember: an owner grants any role, an admin member and admin.
type ProvisionCommand struct {
	Actor        shared.UserID
	Organization shared.OrganizationID
	User         shared.UserID
	Email        string
	Role         string
}

// Provisioner is what provisioning by an identity provider (SCIM) asks of
// organizations, besides Access's role lookup and Service's RemoveMember
// and CancelInvitation.
//
// AddProvisionedMember adds an existing account directly, for a join
// whose right to the address the caller has established (an account the
// organization's own provisioning opened, or an address in a domain the
// organization verified); a member already is
// organizations.ErrAlreadyMember. InviteProvisioned sends an invitation of
// Email exactly like AddMember (mail, expiry, acceptance only by the
// verified owner of the address) but without AddMember's per-user and
// per-client limits: the provisioning caller is limited by its own. Both
// are audited in their transaction, which joins the one ctx carries.
type Provisioner interface {
	Access
	AddProvisionedMember(ctx context.Context, cmd ProvisionCommand) error
	InviteProvisioned(ctx context.Context, cmd ProvisionCommand) (InvitationView, error)
	RemoveMember(ctx context.Context, actor shared.UserID, org shared.OrganizationID, user shared.UserID) error
	CancelInvitation(ctx context.Context, actor shared.UserID, org shared.OrganizationID, invitation uuid.UUID) error
}
