//go:build integration

package mailsmtp_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"strings"
	"testing"
	"time"

	mailsmtp "github.com/secuird/authy/adapters/smtp"
	"github.com/secuird/authy/adapters/smtp/smtptest"
	"github.com/secuird/authy/ports/mailport"
	"github.com/secuird/authy/tests/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

var date = time.Date(2025, 5, 6, 9, 0, 0, 0, time.UTC)

func sampleMail() mailport.Outgoing {
	return mailport.Outgoing{
		To: "team@example.net", ReplyToName: "Zoë \"the\" Tester", ReplyToAddress: "zoe@example.com",
		Subject: "[Contact] Demo request from Zoë", Text: "Hello,\nplease call.\n.\nA line with a dot above.",
		HTML:      "<p>Hello,</p><p>please call.</p>",
		MessageID: "mail-123@authy.test", Date: date,
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
	if msg.Header.Get("Message-Id") != "<mail-123@authy.test>" || msg.Header.Get("Auto-Submitted") != "auto-generated" {
		t.Fatalf("message id %q", msg.Header.Get("Message-Id"))
	}
	if d, err := msg.Header.Date(); err != nil || !d.Equal(date) {
		t.Fatalf("date %v %v", d, err)
	}
	p := parts(t, msg)
	if len(p) != 2 || !strings.Contains(p["text/plain"], "please call.\n.\nA line with a dot above.") || p["text/html"] != "<p>Hello,</p><p>please call.</p>" {
		t.Fatalf("parts %q", p)
	}
}

func TestSender_AMailWithoutHTMLIsPlainText(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	m := sampleMail()
	m.HTML = ""
	if err := newSender(t, srv.URL()).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	msg := parse(t, srv.Messages()[0])
	if p := parts(t, msg); len(p) != 1 || !strings.Contains(p["text/plain"], "please call.") {
		t.Fatalf("parts %q", p)
	}
}

func TestSender_RefusesAMailWithoutItsRecipientOrText(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	for name, edit := range map[string]func(*mailport.Outgoing){
		"no text":               func(m *mailport.Outgoing) { m.Text = "" },
		"no recipient":          func(m *mailport.Outgoing) { m.To = "" },
		"two recipients":        func(m *mailport.Outgoing) { m.To = "a@example.com, b@example.com" },
		"a named recipient":     func(m *mailport.Outgoing) { m.To = "Eve <eve@example.com>" },
		"an injected recipient": func(m *mailport.Outgoing) { m.To = "team@example.net\r\nBcc: victim@example.org" },
	} {
		t.Run(name, func(t *testing.T) {
			m := sampleMail()
			edit(&m)
			if err := newSender(t, srv.URL()).Send(context.Background(), m); err == nil {
				t.Fatal("want an error")
			}
		})
	}
	if srv.Attempts() != 0 {
		t.Fatal("nothing may be sent")
	}
}

func TestSender_NoFieldCanAddAHeader(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	m := sampleMail()
	m.ReplyToName = "Eve\r\nBcc: victim@example.org"
	m.Subject = "Hi\r\nX-Injected: subject"
	m.MessageID = "id@x\r\nX-Injected: id"
	m.Text = "Body\r\n\r\nX-Injected: body-is-not-a-header"
	m.HTML = "<p>Body</p>\r\n\r\nX-Injected: html-is-not-a-header"
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

// parts returns the decoded body of each part by content type (one entry
// for a message that is not multipart).
func parts(t *testing.T, msg *mail.Message) map[string]string {
	t.Helper()
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("content type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	out := map[string]string{}
	if !strings.HasPrefix(mediaType, "multipart/") {
		out[mediaType] = decode(t, msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
		return out
	}
	if mediaType != "multipart/alternative" {
		t.Fatalf("want multipart/alternative, got %s", mediaType)
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := r.NextRawPart()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		ct, _, err := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if err != nil {
			t.Fatal(err)
		}
		out[ct] = decode(t, p.Header.Get("Content-Transfer-Encoding"), p)
	}
}

func decode(t *testing.T, encoding string, r io.Reader) string {
	t.Helper()
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}
