// Package oauth is the domain of the OpenID Provider: the Client aggregate an
// organization owns (its redirect URIs, grants, authentication method,
// scopes and the hashes of its secrets, with the grace period of a rotated
// one), the value objects that validate what a client may register
// (RedirectURI, GrantType, AuthMethod, TokenFormat, scopes, ClientID), and
// the lifecycle of the provider's keys (Key and KeyPolicy: when a key is
// published, signs, retires and leaves the key set).
//
// The rules an attacker probes live here: redirect URIs are absolute,
// compared exactly, https or plain http on a loopback host only, without
// fragment, user information or wildcard; a public client has no secret and
// no client_credentials grant. The OAuth protocol itself (requests, tokens,
// errors) is the protocol library's, in the adapters.
//
// It imports only the standard library, google/uuid and domain/shared; it
// never reads the clock or generates ids or secrets.
package oauth
