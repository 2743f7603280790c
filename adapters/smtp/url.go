package mailsmtp

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	gomail "github.com/wneessen/go-mail"
)

// Settings is a parsed SMTP_URL.
//
//	smtp://user:pass@host:port   submission; STARTTLS when the server offers it (default port 587)
//	smtps://user:pass@host:port  implicit TLS (default port 465)
//
// Query options: starttls=required refuses a server that does not offer
// STARTTLS; auth=plain|login|cram-md5|scram-sha-256|… picks the mechanism
// (default: the strongest the server offers; over an unencrypted connection
// only challenge-response mechanisms, so a password is never sent in clear).
type Settings struct {
	Host      string
	Port      int
	Implicit  bool
	Username  string
	Password  string
	Auth      gomail.SMTPAuthType
	TLSPolicy gomail.TLSPolicy
}

// ParseURL reads an SMTP_URL. Its errors never repeat the URL, which may
// hold a password.
func ParseURL(raw string) (Settings, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Settings{}, errors.New("SMTP_URL is not a valid URL")
	}
	var s Settings
	switch u.Scheme {
	case "smtp":
		s.Port, s.TLSPolicy = 587, gomail.TLSOpportunistic
	case "smtps":
		s.Port, s.Implicit, s.TLSPolicy = 465, true, gomail.TLSMandatory
	default:
		return Settings{}, errors.New("SMTP_URL must start with smtp:// or smtps://")
	}
	s.Host = u.Hostname()
	if s.Host == "" {
		return Settings{}, errors.New("SMTP_URL needs a host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Settings{}, errors.New("SMTP_URL has an invalid port")
		}
		s.Port = n
	}
	if u.Path != "" && u.Path != "/" {
		return Settings{}, errors.New("SMTP_URL must not have a path")
	}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
		s.Auth = gomail.SMTPAuthAutoDiscover
	} else {
		s.Auth = gomail.SMTPAuthNoAuth
	}
	q := u.Query()
	for k := range q {
		if k != "starttls" && k != "auth" {
			return Settings{}, fmt.Errorf("SMTP_URL has an unknown option %q (known: starttls, auth)", k)
		}
	}
	switch v := q.Get("starttls"); v {
	case "":
	case "required":
		s.TLSPolicy = gomail.TLSMandatory
	case "opportunistic":
		if s.Implicit {
			return Settings{}, errors.New("SMTP_URL: starttls does not apply to smtps://")
		}
	default:
		return Settings{}, fmt.Errorf("SMTP_URL: starttls must be required or opportunistic (got %q)", v)
	}
	if v := q.Get("auth"); v != "" {
		if u.User == nil {
			return Settings{}, errors.New("SMTP_URL: auth needs a user name and password")
		}
		var a gomail.SMTPAuthType
		if err := a.UnmarshalString(strings.ToLower(v)); err != nil || a == gomail.SMTPAuthCustom {
			return Settings{}, fmt.Errorf("SMTP_URL: unknown auth mechanism %q", v)
		}
		s.Auth = a
	}
	return s, nil
}

// Redacted returns the URL's host part for logs: never the credentials.
func (s Settings) Redacted() string {
	scheme := "smtp"
	if s.Implicit {
		scheme = "smtps"
	}
	return fmt.Sprintf("%s://%s:%d", scheme, s.Host, s.Port)
}
