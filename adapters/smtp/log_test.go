package mailsmtp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	mailsmtp "github.com/secuird/authy/adapters/smtp"
	"github.com/secuird/authy/domain/contact"
	"github.com/secuird/authy/ports/contactport"
)

func TestLogSender_WritesTheWholeMailAsOneLogRecord(t *testing.T) {
	var buf bytes.Buffer
	s := mailsmtp.NewLogSender(slog.New(slog.NewJSONHandler(&buf, nil)))
	if s.Channel() != contact.ChannelLog {
		t.Fatalf("channel %q", s.Channel())
	}
	err := s.Send(context.Background(), contactport.Mail{
		To: "team@example.net", ReplyToName: "Ada", ReplyToAddress: "ada@example.com",
		Subject: "[Contact] Demo", Body: "line 1\nline 2", MessageID: "m@x",
	})
	if err != nil {
		t.Fatal(err)
	}
	out := strings.TrimSpace(buf.String())
	if strings.Count(out, "\n") != 0 {
		t.Fatalf("one record on one line expected, got %q", out)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["to"] != "team@example.net" || rec["reply_to"] != "Ada <ada@example.com>" || rec["subject"] != "[Contact] Demo" || rec["body"] != "line 1\nline 2" {
		t.Fatalf("record %v", rec)
	}
}
