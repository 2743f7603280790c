// Package sessionsport declares the sessions context's ports: in.go is the
// use-case API inbound adapters call (including bearer-token authentication
// used by every protected route), out.go what the application needs from
// stores and caches. It imports only the standard library, domain packages
// and other ports.
package sessionsport
