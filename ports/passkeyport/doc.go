// Package passkeyport declares the passkey context's ports: in.go the
// use-case API (registering, listing, renaming and removing a user's
// passkeys, and passwordless sign-in); out.go its stores, the WebAuthn
// relying party that verifies ceremonies, the ceremony tokens, and what it
// asks of identity, sessions and the step-up check. It imports only the
// standard library, uuid, domain packages and other ports.
package passkeyport
