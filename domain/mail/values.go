package mail

import (
	"errors"
	"strings"
)

// Template names what a message says; an adapter renders it with the
// message's data. The set is closed: a template unknown here cannot be
// enqueued.
type Template struct{ v string }

// The templates.
var (
	// TemplateContactEnquiry tells the team about a contact-form enquiry.
	TemplateContactEnquiry = Template{"contact_enquiry"}
	// TemplateEmailVerification carries the link that verifies a new
	// account's address.
	TemplateEmailVerification = Template{"email_verification"}
	// TemplatePasswordReset carries the link that sets a new password.
	TemplatePasswordReset = Template{"password_reset"}
	// TemplateEmailChangeNotice tells the old address that the account's
	// address is being changed.
	TemplateEmailChangeNotice = Template{"email_change_notice"}
	// TemplateEmailChangeConfirmation carries the link that confirms a new
	// address.
	TemplateEmailChangeConfirmation = Template{"email_change_confirmation"}
	// TemplateInvitation carries the link that accepts an invitation to an
	// organization.
	TemplateInvitation = Template{"invitation"}
	// TemplateRecoveryCodeUsed tells the account owner a recovery code was
	// used to sign in.
	TemplateRecoveryCodeUsed = Template{"recovery_code_used"}
)

// Templates lists every template.
func Templates() []Template {
	return []Template{
		TemplateContactEnquiry, TemplateEmailVerification, TemplatePasswordReset,
		TemplateEmailChangeNotice, TemplateEmailChangeConfirmation, TemplateInvitation,
		TemplateRecoveryCodeUsed,
	}
}

var errUnknownTemplate = errors.New("is not a known mail template")

// ParseTemplate accepts exactly the name of a known template.
func ParseTemplate(s string) (Template, error) {
	for _, t := range Templates() {
		if t.v == s {
			return t, nil
		}
	}
	return Template{}, errUnknownTemplate
}

// String returns the stored form.
func (t Template) String() string { return t.v }

// IsZero reports the zero value.
func (t Template) IsZero() bool { return t.v == "" }

// Status is where a message's delivery stands.
type Status struct{ v string }

// The statuses. Only a pending message changes; sent and expired are final.
var (
	// StatusPending waits for its next attempt.
	StatusPending = Status{"pending"}
	// StatusSent was accepted by its channel.
	StatusSent = Status{"sent"}
	// StatusExpired was given up: its deadline passed before a server
	// accepted it (a link that no longer works is not worth sending).
	StatusExpired = Status{"expired"}
)

// ParseStatus accepts pending, sent or expired.
func ParseStatus(s string) (Status, error) {
	switch s {
	case StatusPending.v, StatusSent.v, StatusExpired.v:
		return Status{s}, nil
	}
	return Status{}, errors.New("mail: unknown status " + s)
}

// String returns the stored form.
func (s Status) String() string { return s.v }

// IsZero reports the zero value.
func (s Status) IsZero() bool { return s.v == "" }

// Channel is where a sent message went: a real mail server, or the server
// log when no SMTP server is configured (development).
type Channel struct{ v string }

// The channels.
var (
	ChannelSMTP = Channel{"smtp"}
	ChannelLog  = Channel{"log"}
)

// ParseChannel accepts smtp or log.
func ParseChannel(s string) (Channel, error) {
	switch s {
	case ChannelSMTP.v, ChannelLog.v:
		return Channel{s}, nil
	}
	return Channel{}, errors.New("mail: unknown channel " + s)
}

// String returns the stored form.
func (c Channel) String() string { return c.v }

// IsZero reports the zero value.
func (c Channel) IsZero() bool { return c.v == "" }

// DefaultLocale is the language of a message that names none.
const DefaultLocale = "en"

// MaxLocaleLength bounds a locale tag (BCP 47's longest common form).
const MaxLocaleLength = 35

// validLocale accepts a BCP 47 style tag: a primary language of 2 or 3
// lower-case letters, then subtags of 1 to 8 letters or digits, joined by
// hyphens ("en", "de-CH", "zh-Hant-TW").
func validLocale(s string) bool {
	if len(s) > MaxLocaleLength {
		return false
	}
	parts := strings.Split(s, "-")
	if n := len(parts[0]); n < 2 || n > 3 {
		return false
	}
	for _, c := range parts[0] {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	for _, p := range parts[1:] {
		if len(p) < 1 || len(p) > 8 {
			return false
		}
		for _, c := range p {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
				return false
			}
		}
	}
	return true
}

// MaxKeyLength bounds a deduplication key, in bytes.
const MaxKeyLength = 200

// validKey accepts 1 to MaxKeyLength printable ASCII characters without
// spaces ("contact-enquiry:<id>").
func validKey(s string) bool {
	if len(s) == 0 || len(s) > MaxKeyLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
