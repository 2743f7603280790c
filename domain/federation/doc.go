// Package federation is the domain of signing in through another identity
// provider: the ExternalIdentity that ties a provider's subject to one Authy
// user (with the email, verified flag and profile the provider last
// asserted), the Flow a browser starts (state, nonce and PKCE verifier kept
// server-side, single use, bound to the browser that began it) and the
// one-time LoginCode a single-page app on another origin redeems for a
// session.
//
// The rules an attacker probes live here: a flow is spent once, within its
// lifetime, by the browser holding its binding, at the provider it was
// started for; a login code is spent once within 60 seconds; an identity
// names a provider and a subject that cannot be empty or malformed.
//
// It imports only the standard library, google/uuid and domain/shared; it
// never reads the clock or generates ids or secrets (they come in as
// arguments).
package federation
