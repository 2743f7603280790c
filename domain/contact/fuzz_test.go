package contact_test

import (
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/contact"
	"github.com/secuird/authy/domain/shared"
)

// FuzzNewEnquiry checks that NewEnquiry never panics, refuses only with a
// validation error, and that an accepted enquiry is clean (single-line
// fields, no control characters, bounded) and re-validates to itself.
func FuzzNewEnquiry(f *testing.F) {
	f.Add("demo", "Jane", "jane@example.com", "Acme", "+1 (555) 010-0000", "Hello\r\nthere")
	f.Add("sales", " Jane ", "Jane Doe <jane@example.com>", "", "", "hi")
	f.Add("support", "J\r\nBcc: x@y.z", "a@b", "Ac\x00me", "12", "a\x00b")
	f.Add("general", "\xff", "jane@exa\xffmple.com", strings.Repeat("c", 101), "phone", strings.Repeat("m", 5001))
	f.Add("DEMO", "😀", "\"a b\"@example.com", "\u2028", "+++++", "\t\u2029")
	f.Add("demo", "Ada\u202e", "Jose\u0301@B\u00fccher.example", "Acme\u200b", "", "hi")
	id := contact.EnquiryID(uuid.MustParse("00000000-0000-4000-8000-000000000001"))
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, typ, name, email, company, phone, message string) {
		d := contact.EnquiryDetails{Type: typ, Name: name, Email: email, Company: company, Phone: phone, Message: message}
		e, err := contact.NewEnquiry(id, d, now)
		if err != nil {
			if shared.KindOf(err) != shared.KindInvalid {
				t.Fatalf("%+v: %v is not a validation error", d, err)
			}
			return
		}
		for field, v := range map[string]string{"name": e.Name(), "email": e.Email(), "company": e.Company(), "phone": e.Phone()} {
			if !utf8.ValidString(v) || strings.IndexFunc(v, func(r rune) bool { return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' }) >= 0 ||
				shared.HasInvisible(v) {
				t.Fatalf("%+v: %s accepted as %q", d, field, v)
			}
		}
		if canonical, reason := shared.ParseEmail(e.Email()); reason != "" || canonical.String() != e.Email() {
			t.Fatalf("%+v: email accepted as %q, which is not canonical (%s)", d, e.Email(), reason)
		}
		if e.Name() == "" || e.Email() == "" || e.Message() == "" || utf8.RuneCountInString(e.Message()) > contact.MaxMessageLength ||
			strings.IndexFunc(e.Message(), func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) >= 0 {
			t.Fatalf("%+v accepted as %+v", d, e)
		}
		again, err := contact.NewEnquiry(id, contact.EnquiryDetails{
			Type: e.Type().String(), Name: e.Name(), Email: e.Email(), Company: e.Company(), Phone: e.Phone(), Message: e.Message(),
		}, now)
		if err != nil || again.Name() != e.Name() || again.Email() != e.Email() || again.Company() != e.Company() ||
			again.Phone() != e.Phone() || again.Message() != e.Message() || again.Type() != e.Type() {
			t.Fatalf("%+v accepted as %+v, which does not re-validate to itself: %v", d, e, err)
		}
	})
}

// FuzzParseEnquiryType checks that only the four types are accepted.
func FuzzParseEnquiryType(f *testing.F) {
	for _, s := range []string{"demo", "sales", "general", "support", "Demo", " demo", "", "other"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		typ, err := contact.ParseEnquiryType(s)
		if err != nil {
			return
		}
		if typ != contact.TypeDemo && typ != contact.TypeSales && typ != contact.TypeGeneral && typ != contact.TypeSupport {
			t.Fatalf("%q accepted as %q", s, typ.String())
		}
	})
}
