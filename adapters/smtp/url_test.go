package mailsmtp_test

import (
	"strings"
	"testing"

	gomail "github.com/wneessen/go-mail"

	mailsmtp "github.com/secuird/authy/adapters/smtp"
)

func TestParseURL_ReadsSchemesPortsCredentialsAndOptions(t *testing.T) {
	cases := []struct {
		url  string
		want mailsmtp.Settings
	}{
		{"smtp://mail.example.com", mailsmtp.Settings{Host: "mail.example.com", Port: 587, Auth: gomail.SMTPAuthNoAuth, TLSPolicy: gomail.TLSOpportunistic}},
		{"smtp://u:p%40ss@mail.example.com:2525", mailsmtp.Settings{Host: "mail.example.com", Port: 2525, Username: "u", Password: "p@ss", Auth: gomail.SMTPAuthAutoDiscover, TLSPolicy: gomail.TLSOpportunistic}},
		{"smtps://u:p@mail.example.com", mailsmtp.Settings{Host: "mail.example.com", Port: 465, Implicit: true, Username: "u", Password: "p", Auth: gomail.SMTPAuthAutoDiscover, TLSPolicy: gomail.TLSMandatory}},
		{"smtp://u:p@mail.example.com?starttls=required&auth=plain", mailsmtp.Settings{Host: "mail.example.com", Port: 587, Username: "u", Password: "p", Auth: gomail.SMTPAuthPlain, TLSPolicy: gomail.TLSMandatory}},
	}
	for _, tc := range cases {
		t.Run(tc.url, func(t *testing.T) {
			got, err := mailsmtp.ParseURL(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestParseURL_RefusesBadURLsWithoutEchoingThePassword(t *testing.T) {
	for _, raw := range []string{
		"http://u:secretpw@mail.example.com",
		"smtp://u:secretpw@:25",
		"smtp://u:secretpw@mail.example.com:99999",
		"smtp://u:secretpw@mail.example.com/path",
		"smtp://u:secretpw@mail.example.com?tls=yes",
		"smtp://u:secretpw@mail.example.com?starttls=never",
		"smtp://u:secretpw@mail.example.com?auth=telepathy",
		"smtp://mail.example.com?auth=plain",
		"smtps://u:secretpw@mail.example.com?starttls=opportunistic",
		"::secretpw",
	} {
		t.Run(raw, func(t *testing.T) {
			_, err := mailsmtp.ParseURL(raw)
			if err == nil {
				t.Fatal("want an error")
			}
			if strings.Contains(err.Error(), "secretpw") {
				t.Fatalf("error leaks the password: %v", err)
			}
		})
	}
}

func TestSettings_RedactedHidesCredentials(t *testing.T) {
	s, err := mailsmtp.ParseURL("smtps://user:secretpw@mail.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Redacted(); got != "smtps://mail.example.com:465" {
		t.Fatalf("redacted %q", got)
	}
}

func TestNewSender_RefusesABadFromAddress(t *testing.T) {
	for _, from := range []string{"", "not an address", "a@example.com\r\nBcc: x@example.com"} {
		if _, err := mailsmtp.NewSender(mailsmtp.Config{URL: "smtp://127.0.0.1:25", From: from}); err == nil {
			t.Fatalf("From %q must be refused", from)
		}
	}
	if _, err := mailsmtp.NewSender(mailsmtp.Config{URL: "smtp://127.0.0.1:25", From: "Authy <no-reply@localhost>"}); err != nil {
		t.Fatal(err)
	}
}
