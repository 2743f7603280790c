package contact

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/secuird/authy/domain/shared"
)

// Field limits, in characters (runes) unless said otherwise. They are public
// API: the OpenAPI document repeats them.
const (
	MaxNameLength    = 100
	MaxEmailLength   = shared.MaxEmailLength // bytes, RFC 5321's path limit
	MaxCompanyLength = 100
	MinPhoneLength   = 5
	MaxPhoneLength   = 32
	MaxMessageLength = 5000
)

// EnquiryDetails is what a visitor submitted, as raw strings.
type EnquiryDetails struct {
	Type    string
	Name    string
	Email   string
	Company string
	Phone   string
	Message string
}

// Enquiry is one message sent through the contact form.
//
// Invariants: the type is one of the four known; name, email and message
// are present; no field is longer than its limit; the email is a
// shared.Email in its canonical form; the single-line fields (name, email,
// company, phone) hold no control or line-separator character, so none of
// them can ever add a header to the notification mail, and no invisible or
// bidirectional control character; the
// message holds no control character other than newline and tab, and its
// line endings are "\n". An enquiry never changes once received.
type Enquiry struct {
	id         EnquiryID
	typ        EnquiryType
	name       string
	email      string
	company    string
	phone      string
	message    string
	receivedAt time.Time
	events     []EnquiryReceived
}

// EnquiryReceived is the domain event of a new enquiry. It carries no
// personal data beyond the email's domain.
type EnquiryReceived struct {
	EnquiryID   EnquiryID
	Type        EnquiryType
	EmailDomain string
	OccurredAt  time.Time
}

// NewEnquiry validates d and returns the enquiry received at now (UTC, to
// the microsecond, as every store keeps it). Single-line
// fields are trimmed of surrounding white space. Every broken rule is
// reported at once in an ErrInvalidEnquiry naming its field.
func NewEnquiry(id EnquiryID, d EnquiryDetails, now time.Time) (*Enquiry, error) {
	f := shared.FieldErrors{}
	typ, err := ParseEnquiryType(strings.TrimSpace(d.Type))
	if err != nil {
		if strings.TrimSpace(d.Type) == "" {
			f.Add("type", "is required")
		} else {
			f.Add("type", err.Error())
		}
	}
	name := singleLine(f, "name", d.Name, true, MaxNameLength)
	email := validEmail(f, d.Email)
	company := singleLine(f, "company", d.Company, false, MaxCompanyLength)
	phone := validPhone(f, d.Phone)
	message := validMessage(f, d.Message)
	if id.IsZero() {
		f.Add("id", "is required")
	}
	if !f.Empty() {
		return nil, f.Err(ErrInvalidEnquiry.Code())
	}
	e := &Enquiry{
		id: id, typ: typ, name: name, email: email, company: company,
		phone: phone, message: message, receivedAt: stamp(now),
	}
	e.events = append(e.events, EnquiryReceived{
		EnquiryID: id, Type: typ, EmailDomain: emailDomain(email), OccurredAt: e.receivedAt,
	})
	return e, nil
}

// RehydrateEnquiry rebuilds a stored enquiry without validation; adapters
// use it to load state they saved from NewEnquiry.
func RehydrateEnquiry(id EnquiryID, typ EnquiryType, name, email, company, phone, message string, receivedAt time.Time) *Enquiry {
	return &Enquiry{
		id: id, typ: typ, name: name, email: email, company: company,
		phone: phone, message: message, receivedAt: receivedAt.UTC(),
	}
}

// ID returns the enquiry's id.
func (e *Enquiry) ID() EnquiryID { return e.id }

// Type returns what the visitor asks for.
func (e *Enquiry) Type() EnquiryType { return e.typ }

// Name returns the visitor's name.
func (e *Enquiry) Name() string { return e.name }

// Email returns the visitor's address.
func (e *Enquiry) Email() string { return e.email }

// EmailDomain returns the lower-cased domain of the visitor's address.
func (e *Enquiry) EmailDomain() string { return emailDomain(e.email) }

// Company returns the visitor's company, possibly empty.
func (e *Enquiry) Company() string { return e.company }

// Phone returns the visitor's phone number, possibly empty.
func (e *Enquiry) Phone() string { return e.phone }

// Message returns the message body.
func (e *Enquiry) Message() string { return e.message }

// ReceivedAt returns when the enquiry arrived (UTC).
func (e *Enquiry) ReceivedAt() time.Time { return e.receivedAt }

// PullEvents returns the recorded domain events and forgets them.
func (e *Enquiry) PullEvents() []EnquiryReceived {
	ev := e.events
	e.events = nil
	return ev
}

func singleLine(f shared.FieldErrors, field, raw string, required bool, max int) string {
	if !utf8.ValidString(raw) {
		f.Add(field, "must be valid UTF-8 text")
		return ""
	}
	s := strings.TrimSpace(raw)
	if s == "" {
		if required {
			f.Add(field, "is required")
		}
		return ""
	}
	if hasLineBreakOrControl(s, false) {
		f.Add(field, "must be a single line without control characters")
		return ""
	}
	if shared.HasInvisible(s) {
		// A bidi override or zero-width character would make the
		// notification mail show the team another name than was sent.
		f.Add(field, shared.ReasonInvisibleText)
		return ""
	}
	if n := utf8.RuneCountInString(s); n > max {
		f.Add(field, "must be at most "+strconv.Itoa(max)+" characters")
		return ""
	}
	return s
}

// validEmail is the address rule every context shares (shared.ParseEmail):
// a bare dot-atom addr-spec without display name, comment, angle brackets or
// quoted local part, so its canonical form can go into Reply-To as is.
func validEmail(f shared.FieldErrors, raw string) string {
	e, reason := shared.ParseEmail(raw)
	if reason != "" {
		f.Add("email", reason)
		return ""
	}
	return e.String()
}

func validPhone(f shared.FieldErrors, raw string) string {
	s := singleLine(f, "phone", raw, false, MaxPhoneLength)
	if s == "" {
		return ""
	}
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" +-().", r):
		default:
			f.Add("phone", "may hold only digits, spaces and + - ( ) .")
			return ""
		}
	}
	if digits < MinPhoneLength {
		f.Add("phone", "must hold at least "+strconv.Itoa(MinPhoneLength)+" digits")
		return ""
	}
	return s
}

func validMessage(f shared.FieldErrors, raw string) string {
	if !utf8.ValidString(raw) {
		f.Add("message", "must be valid UTF-8 text")
		return ""
	}
	s := strings.ReplaceAll(raw, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = strings.TrimSpace(s)
	if s == "" {
		f.Add("message", "is required")
		return ""
	}
	if hasLineBreakOrControl(s, true) {
		f.Add("message", "must not contain control characters")
		return ""
	}
	if n := utf8.RuneCountInString(s); n > MaxMessageLength {
		f.Add("message", "must be at most "+strconv.Itoa(MaxMessageLength)+" characters")
		return ""
	}
	return s
}

// hasLineBreakOrControl reports a C0/C1 control character or a Unicode line
// or paragraph separator; multiLine allows "\n" and "\t".
func hasLineBreakOrControl(s string, multiLine bool) bool {
	for _, r := range s {
		if multiLine && (r == '\n' || r == '\t') {
			continue
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return true
		}
	}
	return false
}

func emailDomain(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return ""
	}
	return strings.ToLower(email[at+1:])
}

// stamp is t in UTC to the microsecond.
func stamp(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
