//go:build integration

package mailsmtp_test

import (
	"bytes"
	"context"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"strings"
	"testing"
	"time"

	mailsmtp "github.com/secuird/authy/adapters/smtp"
	"github.com/secuird/authy/adapters/smtp/smtptest"
	"github.com/secuird/authy/ports/contactport"
	"github.com/secuird/authy/tests/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

var date = time.Date(2025, 5, 6, 9, 0, 0, 0, time.UTC)

func sampleMail() contactport.Mail {
	return contactport.Mail{
		To: "team@example.net", ReplyToName: "Zoë \"the\" Tester", ReplyToAddress: "zoe@example.com",
		Subject: "[Contact] Demo request from Zoë", Body: "Hello,\nplease call.\n.\nA line with a dot above.",
		MessageID: "enquiry-123@authy.contact", Date: date,
	}
}

func newSender(t *testing.T, url string, edit ...func(*mailsmtp.Config)) *mailsmtp.Sender {
	t.Helper()
	c := mailsmtp.Config{URL: url, From: "Authy <no-reply@authy.test>", Timeout: 5 * time.Second}
	for _, e := range edit {
		e(&c)
	}
	s, err := mailsmtp.NewSender(c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func parse(t *testing.T, m smtptest.Message) *mail.Message {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatalf("received message does not parse: %v\n%s", err, m.Data)
	}
	return msg
}

func TestSender_DeliversTheMailWithItsHeadersAndBody(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	if err := newSender(t, srv.URL()).Send(context.Background(), sampleMail()); err != nil {
		t.Fatal(err)
	}
	got := srv.Messages()
	if len(got) != 1 {
		t.Fatalf("got %d messages", len(got))
	}
	if got[0].From != "no-reply@authy.test" || len(got[0].To) != 1 || got[0].To[0] != "team@example.net" {
		t.Fatalf("envelope %s", got[0])
	}
	msg := parse(t, got[0])
	dec := new(mime.WordDecoder)
	subject, _ := dec.DecodeHeader(msg.Header.Get("Subject"))
	if subject != "[Contact] Demo request from Zoë" {
		t.Fatalf("subject %q", subject)
	}
	rt, err := msg.Header.AddressList("Reply-To")
	if err != nil || len(rt) != 1 || rt[0].Address != "zoe@example.com" || rt[0].Name != "Zoë \"the\" Tester" {
		t.Fatalf("reply-to %v %v (raw %q)", rt, err, msg.Header.Get("Reply-To"))
	}
	if msg.Header.Get("Message-Id") != "<enquiry-123@authy.contact>" {
		t.Fatalf("message id %q", msg.Header.Get("Message-Id"))
	}
	if d, err := msg.Header.Date(); err != nil || !d.Equal(date) {
		t.Fatalf("date %v %v", d, err)
	}
	body := decodeBody(t, msg)
	if !strings.Contains(body, "please call.\n.\nA line with a dot above.") {
		t.Fatalf("body %q", body)
	}
}

func TestSender_NoFieldCanAddAHeader(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	m := sampleMail()
	m.ReplyToName = "Eve\r\nBcc: victim@example.org"
	m.Subject = "Hi\r\nX-Injected: subject"
	m.MessageID = "id@x\r\nX-Injected: id"
	m.Body = "Body\r\n\r\nX-Injected: body-is-not-a-header"
	if err := newSender(t, srv.URL()).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := srv.Messages()
	if len(got) != 1 || len(got[0].To) != 1 || got[0].To[0] != "team@example.net" {
		t.Fatalf("recipients must not change: %v", got)
	}
	msg := parse(t, got[0])
	for _, h := range []string{"Bcc", "X-Injected"} {
		if v, ok := msg.Header[h]; ok {
			t.Fatalf("injected header %s: %q\n%s", h, v, got[0].Data)
		}
	}
	if n := len(msg.Header["Reply-To"]); n != 1 {
		t.Fatalf("%d Reply-To headers", n)
	}
	rt, err := msg.Header.AddressList("Reply-To")
	if err != nil || len(rt) != 1 || rt[0].Address != "zoe@example.com" {
		t.Fatalf("reply-to %v %v", rt, err)
	}
	for _, line := range strings.Split(headerBlock(got[0].Data), "\r\n") {
		if strings.HasPrefix(strings.ToLower(line), "bcc:") || strings.HasPrefix(strings.ToLower(line), "x-injected:") {
			t.Fatalf("header line %q was injected", line)
		}
	}
}

func TestSender_RefusesAReplyToAddressWithALineBreak(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	m := sampleMail()
	m.ReplyToAddress = "zoe@example.com\r\nBcc: victim@example.org"
	if err := newSender(t, srv.URL()).Send(context.Background(), m); err == nil {
		t.Fatal("want an error")
	}
	if srv.Attempts() != 0 {
		t.Fatal("nothing may be sent")
	}
}

func TestSender_UsesSTARTTLSWhenOfferedAndAuthenticates(t *testing.T) {
	serverTLS, clientTLS := smtptest.SelfSigned(t)
	srv := smtptest.Start(t, smtptest.Options{TLS: serverTLS, Users: map[string]string{"mailer": "s3cret"}})
	url := "smtp://mailer:s3cret@" + srv.Addr()
	s := newSender(t, url, func(c *mailsmtp.Config) { c.TLSConfig = clientTLS })
	if err := s.Send(context.Background(), sampleMail()); err != nil {
		t.Fatal(err)
	}
	got := srv.Messages()
	if len(got) != 1 || !got[0].TLS || got[0].User != "mailer" {
		t.Fatalf("want one message over TLS from mailer, got %v", got)
	}
}

func TestSender_SpeaksImplicitTLSForSMTPS(t *testing.T) {
	serverTLS, clientTLS := smtptest.SelfSigned(t)
	srv := smtptest.Start(t, smtptest.Options{TLS: serverTLS, Implicit: true})
	s := newSender(t, srv.URL(), func(c *mailsmtp.Config) { c.TLSConfig = clientTLS })
	if err := s.Send(context.Background(), sampleMail()); err != nil {
		t.Fatal(err)
	}
	if got := srv.Messages(); len(got) != 1 || !got[0].TLS {
		t.Fatalf("want one message over TLS, got %v", got)
	}
}

func TestSender_NeverSendsAPasswordOverAnUnencryptedConnection(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Users: map[string]string{"mailer": "s3cret"}})
	err := newSender(t, "smtp://mailer:s3cret@"+srv.Addr()).Send(context.Background(), sampleMail())
	if err == nil || len(srv.Messages()) != 0 {
		t.Fatalf("want a refusal without TLS, got %v", err)
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("error leaks the password: %v", err)
	}
}

func TestSender_STARTTLSRequiredRefusesAServerWithoutIt(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	err := newSender(t, srv.URL()+"?starttls=required").Send(context.Background(), sampleMail())
	if err == nil || len(srv.Messages()) != 0 {
		t.Fatalf("want a refusal, got %v", err)
	}
}

func TestSender_ReportsRefusalsAndAServerThatIsDown(t *testing.T) {
	cases := []struct {
		name  string
		reply error
		want  string
	}{
		{"temporary failure", smtptest.TempFail, "451"},
		{"permanent failure", smtptest.PermFail, "554"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := smtptest.Start(t, smtptest.Options{Reply: func(int) error { return tc.reply }})
			err := newSender(t, srv.URL()).Send(context.Background(), sampleMail())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error with %s, got %v", tc.want, err)
			}
		})
	}
	t.Run("server down", func(t *testing.T) {
		if err := newSender(t, "smtp://"+smtptest.FreeAddr(t)).Send(context.Background(), sampleMail()); err == nil {
			t.Fatal("want an error")
		}
	})
}

func headerBlock(data []byte) string {
	s := string(data)
	if i := strings.Index(s, "\r\n\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}

func decodeBody(t *testing.T, msg *mail.Message) string {
	t.Helper()
	var r io.Reader = msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		r = quotedprintable.NewReader(r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}
