package identityport

import (
	"context"

	"github.com/secuird/authy/domain/shared"
)

// ProvisionedAccounts is what provisioning by an organization's identity
// provider (SCIM) asks of identity.
//
// CreateProvisionedUser opens an account like ExternalAccounts'
// CreateExternalUser (no password, the email verified only when the caller
// vouches for it, a verification link mailed otherwise, the email's local
// part as the name when none usable is given, identity.ErrEmailTaken for
// an address a live account has), joining the unit of work ctx carries,
// but without the registration limit of the caller's client: the
// provisioning caller is limited by its own. Provider names it in the
// record, which is "auth.register.provisioned".
//
// RefreshProvisionedName sets the account's name to what its identity
// provider asserted at a later sign-in (a name that is not usable, or the
// same, changes nothing), joining the unit of work ctx carries; the change
// is audited like a profile update.
type ProvisionedAccounts interface {
	CreateProvisionedUser(ctx context.Context, cmd ExternalUserCommand) (UserSummary, error)
	RefreshProvisionedName(ctx context.Context, user shared.UserID, name string) error
}
