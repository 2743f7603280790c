// Package oauthport declares the ports of the oauth context, the OpenID
// Provider: in.go the use-case APIs (the clients admin API, what the
// protocol endpoints ask about clients, keys and tokens, and the operator's
// key commands), out.go the stores, the slow hasher for hand-set secrets
// and the unit of work. The protocol library's token storage is declared by
// the library itself (its storage interfaces); oauthporttest holds the
// contract suites every adapter runs, that storage's included. It imports
// only the standard library, domain packages and other ports.
package oauthport
