package mail

import (
	"bytes"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/secuird/authy/domain/shared"
)

// MaxDataBytes bounds a message's template data as stored (sealed).
const MaxDataBytes = 128 << 10

// MaxErrorLength bounds the failure reason kept on a message, in
// characters.
const MaxErrorLength = 500

// Draft is what a context asks to send.
type Draft struct {
	// To is the one recipient.
	To shared.Email
	// Template renders the message from Data.
	Template Template
	// Data is the template data, opaque here (the application seals it).
	Data []byte
	// Locale picks the language of the catalogue (DefaultLocale when
	// empty).
	Locale string
	// Key, when set, makes the message unique in the outbox: a second draft
	// with the same key is the same mail and is not enqueued again.
	Key string
	// DiscardAfter, when set, is the moment the message stops being worth
	// sending (its link expires): a message still pending then is given up.
	DiscardAfter time.Time
}

// Message is one mail in the outbox.
//
// Invariants: a message has one canonical recipient, a known template, data
// of at most MaxDataBytes, a valid locale and, if any, a key of printable
// ASCII; attempts counts the failed attempts; a pending message is due at
// nextAttemptAt; once sent or expired it never changes again (ErrSettled),
// so a late worker cannot reopen it, and its data is dropped (a sent mail's
// link token or enquiry text is not kept in the outbox).
type Message struct {
	id            MessageID
	to            shared.Email
	template      Template
	data          []byte
	locale        string
	key           string
	discardAfter  time.Time
	status        Status
	createdAt     time.Time
	attempts      int
	nextAttemptAt time.Time
	lastError     string
	settledAt     time.Time
	channel       Channel
}

// MessageState is a message's stored form, for adapters.
type MessageState struct {
	ID            MessageID
	To            shared.Email
	Template      Template
	Data          []byte
	Locale        string
	Key           string    // empty: no key
	DiscardAfter  time.Time // zero: no deadline
	Status        Status
	CreatedAt     time.Time
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	SettledAt     time.Time // zero while pending
	Channel       Channel   // zero unless sent
}

// NewMessage validates d and returns a pending message created at now (UTC,
// to the microsecond, as every store keeps it) and due at once. Every broken
// rule is reported in an ErrInvalidMessage naming its field.
func NewMessage(id MessageID, d Draft, now time.Time) (*Message, error) {
	f := shared.FieldErrors{}
	if id.IsZero() {
		f.Add("id", "is required")
	}
	if d.To.IsZero() {
		f.Add("to", "is required")
	}
	if d.Template.IsZero() {
		f.Add("template", "is required")
	}
	switch {
	case len(d.Data) == 0:
		f.Add("data", "is required")
	case len(d.Data) > MaxDataBytes:
		f.Add("data", "must be at most 128 KiB")
	}
	locale := d.Locale
	if locale == "" {
		locale = DefaultLocale
	}
	if !validLocale(locale) {
		f.Add("locale", "must be a language tag such as en or de-CH")
	}
	if d.Key != "" && !validKey(d.Key) {
		f.Add("key", "must be 1 to 200 printable ASCII characters without spaces")
	}
	now = stamp(now)
	if !d.DiscardAfter.IsZero() && !stamp(d.DiscardAfter).After(now) {
		f.Add("discard_after", "must be in the future")
	}
	if !f.Empty() {
		return nil, f.Err(ErrInvalidMessage.Code())
	}
	m := &Message{
		id: id, to: d.To, template: d.Template, data: bytes.Clone(d.Data), locale: locale, key: d.Key,
		status: StatusPending, createdAt: now, nextAttemptAt: now,
	}
	if !d.DiscardAfter.IsZero() {
		m.discardAfter = stamp(d.DiscardAfter)
	}
	return m, nil
}

// RehydrateMessage rebuilds a stored message without validation.
func RehydrateMessage(s MessageState) *Message {
	m := &Message{
		id: s.ID, to: s.To, template: s.Template, data: bytes.Clone(s.Data), locale: s.Locale, key: s.Key,
		status: s.Status, createdAt: s.CreatedAt.UTC(), attempts: s.Attempts,
		nextAttemptAt: s.NextAttemptAt.UTC(), lastError: s.LastError, channel: s.Channel,
	}
	if !s.DiscardAfter.IsZero() {
		m.discardAfter = s.DiscardAfter.UTC()
	}
	if !s.SettledAt.IsZero() {
		m.settledAt = s.SettledAt.UTC()
	}
	return m
}

// State returns the stored form.
func (m *Message) State() MessageState {
	return MessageState{
		ID: m.id, To: m.to, Template: m.template, Data: bytes.Clone(m.data), Locale: m.locale, Key: m.key,
		DiscardAfter: m.discardAfter, Status: m.status, CreatedAt: m.createdAt, Attempts: m.attempts,
		NextAttemptAt: m.nextAttemptAt, LastError: m.lastError, SettledAt: m.settledAt, Channel: m.channel,
	}
}

// ID returns the message's id.
func (m *Message) ID() MessageID { return m.id }

// To returns the recipient.
func (m *Message) To() shared.Email { return m.to }

// Template returns the template that renders the message.
func (m *Message) Template() Template { return m.template }

// Data returns a copy of the template data (empty once settled).
func (m *Message) Data() []byte { return bytes.Clone(m.data) }

// Locale returns the message's language tag.
func (m *Message) Locale() string { return m.locale }

// Key returns the deduplication key (empty: none).
func (m *Message) Key() string { return m.key }

// DiscardAfter returns the deadline after which the message is given up
// (zero: none).
func (m *Message) DiscardAfter() time.Time { return m.discardAfter }

// Status returns where the delivery stands.
func (m *Message) Status() Status { return m.status }

// CreatedAt returns when the message was enqueued.
func (m *Message) CreatedAt() time.Time { return m.createdAt }

// Attempts returns how many attempts failed so far.
func (m *Message) Attempts() int { return m.attempts }

// NextAttemptAt returns when a pending message is due.
func (m *Message) NextAttemptAt() time.Time { return m.nextAttemptAt }

// LastError returns the reason of the latest failed attempt.
func (m *Message) LastError() string { return m.lastError }

// SettledAt returns when the message was sent or given up (zero while
// pending).
func (m *Message) SettledAt() time.Time { return m.settledAt }

// Channel returns where a sent message went (zero unless sent).
func (m *Message) Channel() Channel { return m.channel }

// Pending reports whether the message still waits for delivery.
func (m *Message) Pending() bool { return m.status == StatusPending }

// Due reports whether a pending message should be attempted at now.
func (m *Message) Due(now time.Time) bool { return m.Pending() && !now.Before(m.nextAttemptAt) }

// Expired reports whether a pending message's deadline has passed at now.
func (m *Message) Expired(now time.Time) bool {
	return m.Pending() && !m.discardAfter.IsZero() && !now.Before(m.discardAfter)
}

// MarkSent records that channel accepted the message at now.
func (m *Message) MarkSent(now time.Time, channel Channel) error {
	if !m.Pending() {
		return ErrSettled
	}
	if channel.IsZero() {
		return errors.New("mail: a sent message needs its channel")
	}
	m.status = StatusSent
	m.settledAt = stamp(now)
	m.channel = channel
	m.lastError = ""
	m.data = nil
	return nil
}

// RecordFailure counts a failed attempt at now and schedules the next one
// after policy's delay for this attempt. reason is kept, shortened to
// MaxErrorLength characters and to one line.
func (m *Message) RecordFailure(now time.Time, reason string, policy RetryPolicy) error {
	if !m.Pending() {
		return ErrSettled
	}
	m.attempts++
	m.nextAttemptAt = stamp(now.Add(policy.Delay(m.attempts)))
	m.lastError = oneLine(reason, MaxErrorLength)
	return nil
}

// Expire gives the message up at now, once its deadline has passed.
func (m *Message) Expire(now time.Time) error {
	if !m.Pending() {
		return ErrSettled
	}
	if !m.Expired(now) {
		return ErrNotExpired
	}
	m.status = StatusExpired
	m.settledAt = stamp(now)
	m.data = nil
	return nil
}

func oneLine(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max])
}

// stamp is the precision every store keeps: UTC, to the microsecond.
func stamp(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
