// Package mfa is the domain of multi-factor sign-in: the Factor aggregate
// (a TOTP authenticator of one account, its secret sealed by an adapter,
// accepting each time step once), the RecoveryCodes aggregate (an
// account's set of single-use codes, kept only as keyed digests) and the
// Challenge aggregate (the short-lived, single-use second step of one
// password sign-in).
//
// Computing codes, sealing secrets and hashing tokens are adapters' work
// behind the context's ports: this package sees opaque values and time
// steps. It imports only the standard library, google/uuid and
// domain/shared, and never reads the clock or generates ids or secrets.
package mfa
