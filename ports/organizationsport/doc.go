// Package organizationsport declares the organizations context's ports:
// in.go the use-case API (and Access, which other contexts use to ask for a
// caller's role), out.go the repositories. It imports only the standard
// library, domain packages and other ports.
package organizationsport
