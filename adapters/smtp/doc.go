// Package mailsmtp implements contactport.Mailer twice: Sender submits mail
// to the server named by SMTP_URL with wneessen/go-mail, and LogSender
// writes it to the structured log when no server is configured
// (development). It imports ports, the contact domain and go-mail only.
//
// Header values are untrusted even though the domain already refuses line
// breaks in them: addresses go through net/mail (which quotes and encodes
// display names), every other header value has control characters replaced
// before go-mail encodes it, so no field can add a header.
package mailsmtp
