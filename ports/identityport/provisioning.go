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
//
// RefreshProvisionedEmail switches the account to the address its
// organization's identity provider asserted at a later sign-in, an address
// in a domain that organization verified (the caller checks this, and that
// the account's current address is also one the organization manages): it
// is verified at once, the account's mailed links (verification, email
// change, password reset: all sent about the old address) are retired,
// and the change is recorded as user.email.changed with Details merged in
// (never an address: the record names the account, not its mailboxes).
// No session ends and no linked identity is touched: the same person signed
// in, through the same subject, and nothing they hold was proven by the old
// address alone. It joins the unit of work ctx carries and reports whether
// the address changed (the same address, already verified, changes
// nothing). An address another live account has is identity.ErrEmailTaken
// and changes nothing; the unique index decides a race, which then fails
// the caller's unit of work.
type ProvisionedAccounts interface {
	CreateProvisionedUser(ctx context.Context, cmd ExternalUserCommand) (UserSummary, error)
	RefreshProvisionedName(ctx context.Context, user shared.UserID, name string) error
	RefreshProvisionedEmail(ctx context.Context, cmd ProvisionedEmailCommand) (bool, error)
}

// ProvisionedEmailCommand is an address an organization's identity
// provider asserted for User; Details go into the audit record.
type ProvisionedEmailCommand struct {
	User    shared.UserID
	Email   string
	Details map[string]any
}
