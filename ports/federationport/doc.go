// Package federationport holds every interface that crosses the hexagon of
// the federation context (social and OpenID Connect sign-in): the use-case
// API the HTTP adapter calls (in.go) and the stores, the unit of work and
// the upstream providers it depends on (out.go). federationporttest checks
// the stores' contracts on every backend.
//
// It imports only the standard library, domain packages and other ports.
package federationport
