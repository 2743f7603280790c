package mailsmtp

import (
	"context"
	"log/slog"

	"github.com/secuird/authy/domain/contact"
	"github.com/secuird/authy/ports/contactport"
)

// LogSender writes each mail to the log instead of sending it: the mailer of
// development, when SMTP_URL is empty. Structured logging escapes line
// breaks, so the body cannot forge log lines.
type LogSender struct {
	log *slog.Logger
}

var _ contactport.Mailer = (*LogSender)(nil)

// NewLogSender logs to l (slog.Default when nil).
func NewLogSender(l *slog.Logger) *LogSender {
	if l == nil {
		l = slog.Default()
	}
	return &LogSender{log: l}
}

// Channel implements contactport.Mailer.
func (s *LogSender) Channel() string { return contact.ChannelLog }

// Send implements contactport.Mailer; it never fails.
func (s *LogSender) Send(ctx context.Context, m contactport.Mail) error {
	s.log.InfoContext(ctx, "mail written to the log (SMTP_URL is not set)",
		"to", m.To,
		"reply_to", m.ReplyToName+" <"+m.ReplyToAddress+">",
		"subject", m.Subject,
		"message_id", m.MessageID,
		"body", m.Body)
	return nil
}
