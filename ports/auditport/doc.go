// Package auditport declares the audit context's ports. in.go holds the
// Recorder every other context calls to record what happened (inside its own
// transaction) and the read API; out.go what the audit application needs from
// its store. It imports only the standard library, domain packages and other
// ports.
package auditport
