package mailsmtp

import (
	"context"
	"log/slog"

	"github.com/secuird/authy/domain/mail"
	"github.com/secuird/authy/ports/mailport"
)

// LogSender writes each mail to the log instead of sending it: the sender of
// development, when SMTP_URL is empty. Structured logging escapes line
// breaks, so the body cannot forge log lines. The text part is logged (it
// holds the links a developer follows); the HTML part, the same content
// marked up, is not.
type LogSender struct {
	log *slog.Logger
}

var _ mailport.Sender = (*LogSender)(nil)

// NewLogSender logs to l (slog.Default when nil).
func NewLogSender(l *slog.Logger) *LogSender {
	if l == nil {
		l = slog.Default()
	}
	return &LogSender{log: l}
}

// Channel implements mailport.Sender.
func (s *LogSender) Channel() mail.Channel { return mail.ChannelLog }

// Send implements mailport.Sender; it never fails.
func (s *LogSender) Send(ctx context.Context, m mailport.Outgoing) error {
	attrs := []any{
		"to", m.To,
		"subject", m.Subject,
		"message_id", m.MessageID,
		"body", m.Text,
	}
	if m.ReplyToAddress != "" {
		attrs = append(attrs, "reply_to", m.ReplyToName+" <"+m.ReplyToAddress+">")
	}
	s.log.InfoContext(ctx, "mail written to the log (SMTP_URL is not set)", attrs...)
	return nil
}
