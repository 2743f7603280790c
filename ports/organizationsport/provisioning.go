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
// organizations, besides Access's role lookup (for the owners who manage
// provisioning tokens interactively).
//
// A provisioning token is a machine credential acting on the authority of
// the owner who created it. The multi-factor policy governs members'
// interactive access, so the methods below apply the read and grant rules
// to that owner but never ask them for a second factor:
// CredentialRole is Access's MemberRole without the multi-factor policy
// (a missing organization or a non-member is the same NotFound);
// RemoveProvisionedMember and CancelProvisionedInvitation are Service's
// RemoveMember and CancelInvitation on the same terms.
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
	CredentialRole(ctx context.Context, org shared.OrganizationID, user shared.UserID) (string, error)
	AddProvisionedMember(ctx context.Context, cmd ProvisionCommand) error
	InviteProvisioned(ctx context.Context, cmd ProvisionCommand) (InvitationView, error)
	RemoveProvisionedMember(ctx context.Context, actor shared.UserID, org shared.OrganizationID, user shared.UserID) error
	CancelProvisionedInvitation(ctx context.Context, actor shared.UserID, org shared.OrganizationID, invitation uuid.UUID) error
}
