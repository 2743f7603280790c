// Package mailsmtp implements mailport.Sender twice: Sender submits mail to
// the server named by SMTP_URL with wneessen/go-mail, as one
// multipart/alternative message with a text and an HTML part, and LogSender
// writes it to the structured log when no server is configured
// (development). It imports ports, the mail domain and go-mail only; what a
// mail says comes rendered from adapters/mailtemplates through the worker.
//
// Header values are untrusted even though the domains already refuse line
// breaks in them: addresses go through net/mail (which quotes and encodes
// display names), every other header value has control characters replaced
// before go-mail encodes it, so no field can add a header.
package mailsmtp
