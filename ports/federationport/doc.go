// Package federationport holds every interface that crosses the hexagon of
// the federation context (social and OpenID Connect sign-in): the use-case
// API the HTTP adapter calls (in.go) and the stores and upstream providers
// it depends on (out.go); its stores join platformport.UnitOfWork, the one
// transaction of every context. federationporttest checks the stores'
// contracts on every backend.
//
// It imports only the standard library, domain packages and other ports.
package federationport
