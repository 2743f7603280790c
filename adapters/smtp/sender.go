package mailsmtp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	netmail "net/mail"
	"strings"
	"time"
	"unicode"

	gomail "github.com/wneessen/go-mail"

	"github.com/secuird/authy/domain/mail"
	"github.com/secuird/authy/ports/mailport"
)

// Config configures a Sender.
type Config struct {
	// URL is SMTP_URL.
	URL string
	// From is MAIL_FROM: an address, optionally with a display name.
	From string
	// Timeout bounds dialling and each SMTP command (default 20 s).
	Timeout time.Duration
	// TLSConfig overrides the TLS settings (for example a private CA);
	// ServerName defaults to the URL's host.
	TLSConfig *tls.Config
}

// Sender submits mail over SMTP. It opens one connection per mail: Authy
// sends a few mails per sign-up or enquiry, not bulk, and a fresh connection
// never fails on a server that dropped an idle one.
type Sender struct {
	settings Settings
	from     *netmail.Address
	timeout  time.Duration
	tls      *tls.Config
}

var _ mailport.Sender = (*Sender)(nil)

// NewSender checks the URL and the From address.
func NewSender(c Config) (*Sender, error) {
	s, err := ParseURL(c.URL)
	if err != nil {
		return nil, err
	}
	from, err := ParseSingleAddress(c.From)
	if err != nil {
		return nil, fmt.Errorf("MAIL_FROM: %w", err)
	}
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.TLSConfig != nil {
		tlsCfg = c.TLSConfig.Clone()
	}
	if tlsCfg.ServerName == "" {
		tlsCfg.ServerName = s.Host
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	return &Sender{settings: s, from: from, timeout: timeout, tls: tlsCfg}, nil
}

// Server names the server for logs, without credentials.
func (s *Sender) Server() string { return s.settings.Redacted() }

// Channel implements mailport.Sender.
func (s *Sender) Channel() mail.Channel { return mail.ChannelSMTP }

// Send implements mailport.Sender: nil only after the server accepted the
// message.
func (s *Sender) Send(ctx context.Context, m mailport.Outgoing) error {
	msg, err := s.message(m)
	if err != nil {
		return err
	}
	opts := []gomail.Option{
		gomail.WithPort(s.settings.Port),
		gomail.WithTimeout(s.timeout),
		gomail.WithTLSConfig(s.tls),
	}
	if s.settings.Implicit {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(s.settings.TLSPolicy))
	}
	if s.settings.Username != "" {
		opts = append(opts,
			gomail.WithSMTPAuth(s.settings.Auth),
			gomail.WithUsername(s.settings.Username),
			gomail.WithPassword(s.settings.Password))
	}
	client, err := gomail.NewClient(s.settings.Host, opts...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("smtp %s: %w", s.settings.Redacted(), err)
	}
	return nil
}

func (s *Sender) message(m mailport.Outgoing) (*gomail.Msg, error) {
	to, err := ParseSingleAddress(m.To)
	if err != nil || to.Name != "" {
		return nil, errors.New("mail: the recipient must be one bare address")
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(s.from)
	msg.ToMailAddress(to)
	if m.ReplyToAddress != "" {
		addr, err := ParseSingleAddress(m.ReplyToAddress)
		if err != nil || addr.Name != "" {
			return nil, errors.New("mail: invalid reply-to address")
		}
		// net/mail quotes or encodes the display name as needed.
		addr.Name = headerText(m.ReplyToName)
		msg.ReplyToMailAddress(addr)
	}
	msg.Subject(headerText(m.Subject))
	if id := headerText(m.MessageID); id != "" && !strings.ContainsAny(id, " <>") {
		msg.SetMessageIDWithValue(id)
	} else {
		msg.SetMessageID()
	}
	if m.Date.IsZero() {
		msg.SetDate()
	} else {
		msg.SetDateWithValue(m.Date)
	}
	// RFC 3834: an automatic mail, so auto-responders do not answer it.
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	if m.Text == "" {
		return nil, errors.New("mail: a message needs its text part")
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// ParseSingleAddress parses exactly one address ("a@b.c" or
// "Name <a@b.c>").
func ParseSingleAddress(s string) (*netmail.Address, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("an address must be one line")
	}
	a, err := netmail.ParseAddress(s)
	if err != nil {
		return nil, errors.New("not a valid email address")
	}
	return a, nil
}

// headerText makes s safe for one header line: control characters and
// Unicode line separators become spaces, and the result is trimmed.
func headerText(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD")))
}
