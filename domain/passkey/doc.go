// Package passkey is the domain of WebAuthn passkeys: a user's registered
// credentials (public key, sign counter, user-verification and backup
// flags, a name the owner chooses) and the short-lived ceremonies that
// register one or sign in with one.
//
// It holds no WebAuthn parsing or cryptography (an outbound port verifies
// attestations and assertions); it decides what a verified assertion may
// change: a sign counter that does not move forward means a cloned
// authenticator, and a credential's backup eligibility never changes.
//
// It imports only the standard library, uuid and domain/shared.
package passkey
