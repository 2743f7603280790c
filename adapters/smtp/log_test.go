package mailsmtp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	mailsmtp "github.com/secuird/authy/adapters/smtp"
	"github.com/secuird/authy/domain/mail"
	"github.com/secuird/authy/ports/mailport"
)

func TestLogSender_WritesTheWholeMailAsOneLogRecord(t *testing.T) {
	var buf bytes.Buffer
	s := mailsmtp.NewLogSender(slog.New(slog.NewJSONHandler(&buf, nil)))
	if s.Channel() != mail.ChannelLog {
		t.Fatalf("channel %v", s.Channel())
	}
	err := s.Send(context.Background(), mailport.Outgoing{
		To: "team@example.net", ReplyToName: "Ada", ReplyToAddress: "ada@example.com",
		Subject: "[Contact] Demo", Text: "line 1\nline 2", HTML: "<p>line 1</p>", MessageID: "m@x",
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
	if rec["to"] != "team@example.net" || rec["reply_to"] != "Ada <ada@example.com>" || rec["subject"] != "[Contact] Demo" ||
		rec["body"] != "line 1\nline 2" || rec["message_id"] != "m@x" {
		t.Fatalf("record %v", rec)
	}
}
