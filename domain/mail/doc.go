// Package mail is the domain of the transactional mail outbox: a Message
// that some context asked to send (a contact enquiry, a verification link,
// an invitation …), waiting in the outbox until a mail server (or, in
// development, the log) accepted it, retried with backoff until then.
//
// It sits at the centre of the hexagon and imports only the standard library,
// google/uuid and domain/shared. It never reads the clock or generates ids:
// both come in as arguments, so every rule here is deterministic. What a
// message says is opaque here (the template data, sealed by the
// application); the domain keeps who it is for, which template renders it,
// and where its delivery stands.
package mail
