// Package contactapp implements the contact context's use case on its
// ports: Submit, the public contact form. It imports only the contact
// domain, domain/shared, ports and the standard library (plus uuid for new
// ids) — never a framework, driver or adapter.
//
// # The notification mail
//
// Submit stores the enquiry, its notification mail (through the mail
// context's Enqueue, one per team address, which joins the transaction
// through ctx) and its audit record in one transaction, so an accepted
// enquiry is never lost and a mail is never sent for an enquiry that did
// not commit. The mail context delivers it: retried with backoff while the
// mail server is down or refuses, never sent twice by racing workers.
//
// HandOverLegacyMail moves the mail of enquiries accepted by releases
// before the mail context, still pending in the contact context's old
// outbox, onto the mail outbox addressed to today's team addresses, each row
// removed in the transaction that enqueues its mail.
//
// # Rate limit
//
// The limit is per client IP (an IPv6 client by its /64). Submit peeks at
// it first, so a client over the limit is refused before its input is even
// read, then validates, then takes one unit of the limit just before
// storing. Invalid submissions therefore cost nothing, and because Take is
// atomic the limit stays exact when requests race. A storage failure after
// Take still costs the client that unit: it fails closed. A rate limiter
// that does not answer also fails closed with 503, since this is a public,
// unauthenticated endpoint that writes to the database and sends mail. (In
// production the limiter port falls back to per-instance limits while Redis
// is down, so that only happens when no limiter at all can answer.)
package contactapp
