package contact

import (
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxErrorLength bounds the failure reason kept on a delivery.
const MaxErrorLength = 500

// Channel names where a notification went: a real mail server, or the
// server log when no SMTP server is configured (development).
const (
	ChannelSMTP = "smtp"
	ChannelLog  = "log"
)

// Delivery is the notification mail of one enquiry, kept in an outbox until
// a mail server (or the log) accepted it.
//
// Invariants: a delivery belongs to exactly one enquiry; attempts counts the
// failed attempts; a pending delivery is due at nextAttemptAt; once sent it
// never changes again (ErrAlreadySent), so a late worker cannot reopen it.
type Delivery struct {
	id            DeliveryID
	enquiryID     EnquiryID
	createdAt     time.Time
	attempts      int
	nextAttemptAt time.Time
	lastError     string
	sentAt        time.Time
	channel       string
}

// DeliveryState is a delivery's stored form, for adapters.
type DeliveryState struct {
	ID            DeliveryID
	EnquiryID     EnquiryID
	CreatedAt     time.Time
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	SentAt        time.Time // zero while pending
	Channel       string    // empty while pending
}

// NewDelivery returns a delivery of enquiry that is due at once.
func NewDelivery(id DeliveryID, enquiry EnquiryID, now time.Time) (*Delivery, error) {
	if id.IsZero() || enquiry.IsZero() {
		return nil, errors.New("contact: a delivery needs its own id and the enquiry's id")
	}
	now = stamp(now)
	return &Delivery{id: id, enquiryID: enquiry, createdAt: now, nextAttemptAt: now}, nil
}

// RehydrateDelivery rebuilds a stored delivery without validation.
func RehydrateDelivery(s DeliveryState) *Delivery {
	d := &Delivery{
		id: s.ID, enquiryID: s.EnquiryID, createdAt: s.CreatedAt.UTC(), attempts: s.Attempts,
		nextAttemptAt: s.NextAttemptAt.UTC(), lastError: s.LastError, channel: s.Channel,
	}
	if !s.SentAt.IsZero() {
		d.sentAt = s.SentAt.UTC()
	}
	return d
}

// State returns the stored form.
func (d *Delivery) State() DeliveryState {
	return DeliveryState{
		ID: d.id, EnquiryID: d.enquiryID, CreatedAt: d.createdAt, Attempts: d.attempts,
		NextAttemptAt: d.nextAttemptAt, LastError: d.lastError, SentAt: d.sentAt, Channel: d.channel,
	}
}

// ID returns the delivery's id.
func (d *Delivery) ID() DeliveryID { return d.id }

// EnquiryID returns the enquiry the mail is about.
func (d *Delivery) EnquiryID() EnquiryID { return d.enquiryID }

// CreatedAt returns when the delivery was enqueued.
func (d *Delivery) CreatedAt() time.Time { return d.createdAt }

// Attempts returns how many attempts failed so far.
func (d *Delivery) Attempts() int { return d.attempts }

// NextAttemptAt returns when a pending delivery is due.
func (d *Delivery) NextAttemptAt() time.Time { return d.nextAttemptAt }

// LastError returns the reason of the latest failed attempt.
func (d *Delivery) LastError() string { return d.lastError }

// SentAt returns when the mail was accepted (zero while pending).
func (d *Delivery) SentAt() time.Time { return d.sentAt }

// Channel returns where the mail went (ChannelSMTP or ChannelLog), empty
// while pending.
func (d *Delivery) Channel() string { return d.channel }

// Sent reports whether the mail was accepted.
func (d *Delivery) Sent() bool { return !d.sentAt.IsZero() }

// Due reports whether a pending delivery should be attempted at now.
func (d *Delivery) Due(now time.Time) bool { return !d.Sent() && !now.Before(d.nextAttemptAt) }

// MarkSent records that channel accepted the mail at now.
func (d *Delivery) MarkSent(now time.Time, channel string) error {
	if d.Sent() {
		return ErrAlreadySent
	}
	if channel != ChannelSMTP && channel != ChannelLog {
		return errors.New("contact: unknown delivery channel " + channel)
	}
	d.sentAt = now.UTC()
	d.channel = channel
	d.lastError = ""
	return nil
}

// RecordFailure counts a failed attempt at now and schedules the next one
// after policy's delay for this attempt. reason is kept, shortened to
// MaxErrorLength characters and to one line.
func (d *Delivery) RecordFailure(now time.Time, reason string, policy RetryPolicy) error {
	if d.Sent() {
		return ErrAlreadySent
	}
	d.attempts++
	d.nextAttemptAt = now.UTC().Add(policy.Delay(d.attempts))
	d.lastError = oneLine(reason, MaxErrorLength)
	return nil
}

func oneLine(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max])
}

// RetryPolicy is exponential backoff: the first retry waits Initial, each
// further one twice as long, never more than Max.
type RetryPolicy struct {
	initial time.Duration
	max     time.Duration
}

// DefaultRetryPolicy retries after 5 s, 10 s, 20 s … up to every 10 minutes.
var DefaultRetryPolicy = RetryPolicy{initial: 5 * time.Second, max: 10 * time.Minute}

// NewRetryPolicy checks 0 < initial <= max.
func NewRetryPolicy(initial, max time.Duration) (RetryPolicy, error) {
	if initial <= 0 || max < initial {
		return RetryPolicy{}, errors.New("contact: retry policy needs 0 < initial <= max")
	}
	return RetryPolicy{initial: initial, max: max}, nil
}

// Initial returns the first delay.
func (p RetryPolicy) Initial() time.Duration { return p.initial }

// Max returns the cap.
func (p RetryPolicy) Max() time.Duration { return p.max }

// IsZero reports the zero policy.
func (p RetryPolicy) IsZero() bool { return p.initial == 0 }

// Delay returns the wait after the attempt-th failure (attempt >= 1). The
// zero policy behaves as DefaultRetryPolicy.
func (p RetryPolicy) Delay(attempt int) time.Duration {
	if p.IsZero() {
		p = DefaultRetryPolicy
	}
	d := p.initial
	for i := 1; i < attempt; i++ {
		if d >= p.max/2 {
			return p.max
		}
		d *= 2
	}
	if d > p.max {
		return p.max
	}
	return d
}
