package mail_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/mail"
	"github.com/secuird/authy/domain/shared"
)

var t0 = time.Date(2025, 5, 6, 9, 0, 0, 123456789, time.UTC)

func email(t *testing.T, s string) shared.Email {
	t.Helper()
	e, reason := shared.ParseEmail(s)
	if reason != "" {
		t.Fatalf("%q: %s", s, reason)
	}
	return e
}

func draft(t *testing.T) mail.Draft {
	return mail.Draft{To: email(t, "Ada@Example.COM"), Template: mail.TemplatePasswordReset, Data: []byte("sealed")}
}

func newMessage(t *testing.T, edit ...func(*mail.Draft)) *mail.Message {
	t.Helper()
	d := draft(t)
	for _, e := range edit {
		e(&d)
	}
	m, err := mail.NewMessage(mail.MessageID(uuid.New()), d, t0)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestNewMessage_IsPendingAndDueAtOnceInTheDefaultLocale(t *testing.T) {
	m := newMessage(t)
	if !m.Pending() || m.Status() != mail.StatusPending || m.Attempts() != 0 {
		t.Fatalf("state %+v", m.State())
	}
	if m.To().String() != "ada@example.com" || m.Template() != mail.TemplatePasswordReset || string(m.Data()) != "sealed" {
		t.Fatalf("fields %+v", m.State())
	}
	if m.Locale() != "en" || m.Key() != "" || !m.DiscardAfter().IsZero() {
		t.Fatalf("defaults %+v", m.State())
	}
	want := t0.Truncate(time.Microsecond)
	if !m.CreatedAt().Equal(want) || !m.NextAttemptAt().Equal(want) || !m.Due(want) || m.Due(want.Add(-time.Microsecond)) {
		t.Fatalf("times %+v", m.State())
	}
}

func TestNewMessage_RefusesEachBrokenRuleByName(t *testing.T) {
	cases := []struct {
		field string
		edit  func(*mail.Draft)
	}{
		{"to", func(d *mail.Draft) { d.To = shared.Email{} }},
		{"template", func(d *mail.Draft) { d.Template = mail.Template{} }},
		{"data", func(d *mail.Draft) { d.Data = nil }},
		{"data", func(d *mail.Draft) { d.Data = make([]byte, mail.MaxDataBytes+1) }},
		{"locale", func(d *mail.Draft) { d.Locale = "english" }},
		{"locale", func(d *mail.Draft) { d.Locale = "en_GB" }},
		{"locale", func(d *mail.Draft) { d.Locale = "EN" }},
		{"locale", func(d *mail.Draft) { d.Locale = "de-" }},
		{"key", func(d *mail.Draft) { d.Key = "two words" }},
		{"key", func(d *mail.Draft) { d.Key = "line\nbreak" }},
		{"key", func(d *mail.Draft) { d.Key = "café" }},
		{"key", func(d *mail.Draft) { d.Key = strings.Repeat("k", mail.MaxKeyLength+1) }},
		{"discard_after", func(d *mail.Draft) { d.DiscardAfter = t0 }},
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			d := draft(t)
			tc.edit(&d)
			_, err := mail.NewMessage(mail.MessageID(uuid.New()), d, t0)
			var se *shared.Error
			if !errors.As(err, &se) || !errors.Is(err, mail.ErrInvalidMessage) || len(se.Fields()[tc.field]) == 0 {
				t.Fatalf("want an invalid message naming %s, got %v", tc.field, err)
			}
		})
	}
	if _, err := mail.NewMessage(mail.MessageID{}, draft(t), t0); len(asShared(t, err).Fields()["id"]) == 0 {
		t.Fatalf("a zero id must be refused, got %v", err)
	}
}

func asShared(t *testing.T, err error) *shared.Error {
	t.Helper()
	var se *shared.Error
	if !errors.As(err, &se) {
		t.Fatalf("want a shared error, got %v", err)
	}
	return se
}

func TestNewMessage_AcceptsLanguageTagsAndPrintableKeys(t *testing.T) {
	for _, l := range []string{"en", "de-CH", "zh-Hant-TW", "gsw"} {
		m := newMessage(t, func(d *mail.Draft) { d.Locale = l; d.Key = "contact-enquiry:" + l })
		if m.Locale() != l || m.Key() != "contact-enquiry:"+l {
			t.Fatalf("%s: %+v", l, m.State())
		}
	}
}

func TestNewMessage_KeepsItsOwnCopyOfTheData(t *testing.T) {
	data := []byte("sealed")
	m := newMessage(t, func(d *mail.Draft) { d.Data = data })
	data[0] = 'X'
	got := m.Data()
	got[1] = 'Y'
	if string(m.Data()) != "sealed" {
		t.Fatalf("data %q changed from outside", m.Data())
	}
}

func TestMarkSent_SettlesOnceAndDropsTheData(t *testing.T) {
	m := newMessage(t)
	if err := m.RecordFailure(t0, "451 busy", mail.DefaultRetryPolicy); err != nil {
		t.Fatal(err)
	}
	if err := m.MarkSent(t0.Add(time.Minute), mail.ChannelSMTP); err != nil {
		t.Fatal(err)
	}
	if m.Status() != mail.StatusSent || m.Pending() || m.Channel() != mail.ChannelSMTP || m.LastError() != "" || len(m.Data()) != 0 {
		t.Fatalf("sent %+v", m.State())
	}
	if !m.SettledAt().Equal(t0.Add(time.Minute).Truncate(time.Microsecond)) || m.Due(t0.Add(time.Hour)) {
		t.Fatalf("settled %+v", m.State())
	}
	for name, err := range map[string]error{
		"sent again":    m.MarkSent(t0, mail.ChannelLog),
		"failed after":  m.RecordFailure(t0, "x", mail.DefaultRetryPolicy),
		"expired after": m.Expire(t0.Add(48 * time.Hour)),
	} {
		if !errors.Is(err, mail.ErrSettled) {
			t.Fatalf("%s: want ErrSettled, got %v", name, err)
		}
	}
	if m.Status() != mail.StatusSent || m.Attempts() != 1 {
		t.Fatalf("a settled message changed: %+v", m.State())
	}
}

func TestMarkSent_NeedsAChannel(t *testing.T) {
	m := newMessage(t)
	if err := m.MarkSent(t0, mail.Channel{}); err == nil || !m.Pending() {
		t.Fatalf("want a refusal, got %v (%+v)", err, m.State())
	}
}

func TestRecordFailure_BacksOffFromFiveSecondsToTenMinutes(t *testing.T) {
	m := newMessage(t)
	now := t0
	want := []time.Duration{5, 10, 20, 40, 80, 160, 320, 600, 600, 600}
	for i, secs := range want {
		if err := m.RecordFailure(now, "451 4.3.0 try again later", mail.RetryPolicy{}); err != nil {
			t.Fatal(err)
		}
		wait := secs * time.Second
		if m.Attempts() != i+1 || !m.NextAttemptAt().Equal(now.Add(wait).Truncate(time.Microsecond)) {
			t.Fatalf("attempt %d: next %v, want now+%v", i+1, m.NextAttemptAt(), wait)
		}
		if m.Due(now.Add(wait - time.Second)) {
			t.Fatalf("attempt %d: due before its backoff ended", i+1)
		}
		now = now.Add(wait)
		if !m.Due(now) {
			t.Fatalf("attempt %d: not due once its backoff ended", i+1)
		}
	}
	if !strings.Contains(m.LastError(), "451") {
		t.Fatalf("last error %q", m.LastError())
	}
}

func TestRecordFailure_KeepsTheReasonOnOneShortLine(t *testing.T) {
	m := newMessage(t)
	if err := m.RecordFailure(t0, "554 rejected\r\nX-Injected: 1\u2028"+strings.Repeat("é", 600)+"\xff", mail.DefaultRetryPolicy); err != nil {
		t.Fatal(err)
	}
	got := m.LastError()
	if strings.ContainsAny(got, "\r\n\u2028") || len([]rune(got)) != mail.MaxErrorLength || !strings.HasPrefix(got, "554 rejected  X-Injected") {
		t.Fatalf("last error %q", got)
	}
}

func TestExpire_GivesUpOnlyOnceTheDeadlineHasPassed(t *testing.T) {
	deadline := t0.Add(30 * time.Minute)
	m := newMessage(t, func(d *mail.Draft) { d.DiscardAfter = deadline })
	if m.Expired(deadline.Add(-time.Second)) {
		t.Fatal("expired before its deadline")
	}
	if err := m.Expire(deadline.Add(-time.Second)); !errors.Is(err, mail.ErrNotExpired) || !m.Pending() {
		t.Fatalf("want ErrNotExpired, got %v", err)
	}
	if !m.Expired(deadline) {
		t.Fatal("not expired at its deadline")
	}
	if err := m.Expire(deadline); err != nil {
		t.Fatal(err)
	}
	if m.Status() != mail.StatusExpired || len(m.Data()) != 0 || !m.SettledAt().Equal(deadline.Truncate(time.Microsecond)) || m.Due(deadline.Add(time.Hour)) {
		t.Fatalf("expired %+v", m.State())
	}
	if newMessage(t).Expired(t0.Add(100 * 365 * 24 * time.Hour)) {
		t.Fatal("a message without a deadline never expires")
	}
}

func TestRehydrateMessage_RoundTripsTheState(t *testing.T) {
	m := newMessage(t, func(d *mail.Draft) { d.Key = "k"; d.Locale = "de"; d.DiscardAfter = t0.Add(time.Hour) })
	if err := m.RecordFailure(t0, "down", mail.DefaultRetryPolicy); err != nil {
		t.Fatal(err)
	}
	s := m.State()
	back := mail.RehydrateMessage(s).State()
	if back.ID != s.ID || back.To != s.To || back.Template != s.Template || string(back.Data) != string(s.Data) ||
		back.Locale != s.Locale || back.Key != s.Key || !back.DiscardAfter.Equal(s.DiscardAfter) || back.Status != s.Status ||
		!back.CreatedAt.Equal(s.CreatedAt) || back.Attempts != s.Attempts || !back.NextAttemptAt.Equal(s.NextAttemptAt) ||
		back.LastError != s.LastError || !back.SettledAt.Equal(s.SettledAt) || back.Channel != s.Channel {
		t.Fatalf("round trip\n got %+v\nwant %+v", back, s)
	}
}

func TestParseTemplate_AcceptsOnlyTheKnownNames(t *testing.T) {
	for _, tpl := range mail.Templates() {
		got, err := mail.ParseTemplate(tpl.String())
		if err != nil || got != tpl {
			t.Fatalf("%s: %v %v", tpl, got, err)
		}
	}
	for _, s := range []string{"", "Password_Reset", "password_reset ", "welcome"} {
		if _, err := mail.ParseTemplate(s); err == nil {
			t.Fatalf("%q must be refused", s)
		}
	}
}

func TestParseStatusAndChannel_AcceptOnlyTheKnownValues(t *testing.T) {
	for _, s := range []mail.Status{mail.StatusPending, mail.StatusSent, mail.StatusExpired} {
		if got, err := mail.ParseStatus(s.String()); err != nil || got != s {
			t.Fatalf("%s: %v", s, err)
		}
	}
	for _, c := range []mail.Channel{mail.ChannelSMTP, mail.ChannelLog} {
		if got, err := mail.ParseChannel(c.String()); err != nil || got != c {
			t.Fatalf("%s: %v", c, err)
		}
	}
	if _, err := mail.ParseStatus("failed"); err == nil {
		t.Fatal("unknown status accepted")
	}
	if _, err := mail.ParseChannel("pigeon"); err == nil {
		t.Fatal("unknown channel accepted")
	}
}

func TestNewRetryPolicy_NeedsAPositiveInitialDelayBelowTheCap(t *testing.T) {
	for _, c := range [][2]time.Duration{{0, time.Second}, {-time.Second, time.Second}, {time.Minute, time.Second}} {
		if _, err := mail.NewRetryPolicy(c[0], c[1]); err == nil {
			t.Fatalf("%v must be refused", c)
		}
	}
	p, err := mail.NewRetryPolicy(time.Second, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 3 * time.Second, 40: 3 * time.Second} {
		if got := p.Delay(attempt); got != want {
			t.Fatalf("attempt %d: %v, want %v", attempt, got, want)
		}
	}
}
