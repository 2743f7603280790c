// Package mailport declares the mail context's ports. in.go holds the
// use-case API other contexts and the worker call: Enqueue (inside the
// caller's transaction) and the delivery of due mail; templates.go the typed
// data of each template, so a caller cannot misspell a field. out.go holds
// what the mail application needs from the outside: the outbox store, a
// renderer, a sender and a clock. The executable contract of the outbox
// lives in mailporttest.
//
// It imports only the standard library, domain packages and other ports.
package mailport
