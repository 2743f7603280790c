// Package contactapp implements the contact context's use cases on its
// ports: Submit (the public contact form) and the delivery of notification
// mails from the outbox. It imports only the contact domain, domain/shared,
// ports and the standard library (plus uuid for new ids) — never a
// framework, driver or adapter.
//
// # Durable delivery
//
// Submit stores the enquiry, its pending Delivery and its audit record in
// one transaction (an outbox), so an accepted enquiry is never lost and a
// mail is never announced for an enquiry that did not commit. The
// Dispatcher then delivers in three steps: claim due deliveries under a
// lease in a short transaction, send each mail outside any transaction, and
// settle it — sent, or rescheduled with exponential backoff (RetryPolicy)
// when the mail server is down or refuses. A worker that crashes leaves its
// lease to expire, and another worker (or instance) retries.
//
// Delivery is at least once, not exactly once: exactly-once over SMTP is
// impossible in general. If a worker dies, or its database write fails,
// after the server accepted the mail (the 250 reply to DATA) but before the
// delivery is marked sent, the lease expires and the mail is sent again.
// The window is that one round trip; the same Message-ID is used on every
// attempt so the duplicate can be recognised. Settling runs on a context
// detached from shutdown so a stopping server still records a mail it just
// sent. Outside that window a delivery is sent by one worker only: claims
// use FOR UPDATE SKIP LOCKED on PostgreSQL and SQLite's single writer, and
// settling is refused to a worker whose lease was taken over.
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
