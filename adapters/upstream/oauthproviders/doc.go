// Package oauthproviders is the outbound adapter of the identity providers
// Authy signs in through (federationport.Upstream): Google, GitHub (and
// GitHub Enterprise Server) and Microsoft through markbates/goth's
// providers, used directly (no gothic, no process-global registry), and any
// standard OpenID Connect provider through coreos/go-oidc, which verifies
// the ID token's signature, issuer, audience and expiry; the nonce is
// compared here.
//
// PKCE (S256) is sent to every provider: goth's providers take no verifier,
// so the challenge is added to their authorization URL and the verifier to
// their token request by a transport of the one exchange (a fresh goth
// provider per exchange, so nothing is shared between requests); the same
// transport gives goth's calls the request's context and deadline, which
// goth would otherwise drop.
//
// Email verification follows each provider's rule: Google's
// verified_email, GitHub's primary verified address from /user/emails, the
// ID token's email_verified, and never for Microsoft (Graph's mail and
// userPrincipalName are not verified addresses).
//
// It imports goth, go-oidc, x/oauth2, ports and the domain; never
// application/.
package oauthproviders
