package identityport

import "context"

// SignInGate is asked before a password or social sign-in of an address:
// an organization's enforced single sign-on covers some addresses
// (implemented by the sso context).
//
// Contract: Check returns nil when address may sign in this way, and a
// Forbidden error with the code "sso.required" when an enabled, enforced
// SSO connection routes the address's domain. It looks only at the
// address's domain, never at accounts, so its answer reveals nothing an
// anonymous home-realm discovery does not. A store that cannot answer is
// an error the caller returns (sign-in fails closed).
type SignInGate interface {
	Check(ctx context.Context, address, via string) error
}
