// Package mailapp implements the mail context's use cases on its ports:
// Enqueue, which every context calls to send a mail, and the Worker that
// delivers the outbox. It imports only the mail domain, domain/shared, ports
// and the standard library (plus uuid for new ids) — never a framework,
// driver or adapter.
//
// # Durable delivery
//
// Enqueue writes the message into the outbox through the transaction the
// caller's ctx carries, so a mail exists exactly when the change it is about
// committed: an enquiry, a registration, an invitation. Its template data is
// sealed with the ENCRYPTION_KEY keyring (bound to the message id), so a
// database dump shows no live link token, and dropped once the message is
// settled. The Worker then delivers in three steps: claim due messages under
// a lease in a short transaction, render and send each outside any
// transaction, and settle it — sent, rescheduled with exponential backoff
// (5 s doubling to 10 min) when the mail server is down or refuses, or given
// up once its deadline passed. A worker that crashes leaves its lease to
// expire and another worker resumes; a settle after a lost lease changes
// nothing, so racing workers never both record a mail. The one case that can
// repeat a mail is a worker dying after the server accepted it and before
// the settle: the Message-ID stays the same, so the copy is recognisable.
package mailapp
