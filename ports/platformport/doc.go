// Package platformport declares the outbound ports every bounded context may
// share: the clock, the rate limiter and health probes. It imports only the
// standard library and domain packages; adapters implement it, application
// services consume it.
package platformport
